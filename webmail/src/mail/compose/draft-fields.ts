import type { OpenedMessage, Person } from '../crypto/protocol';
import type { Identity } from '../mail-api';

/** What the compose form edits: addresses as typed, the rest as it will be sent. */
export interface FormFields {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  text: string;
  inReplyTo: string | null;
  references: string[];
}

export type ComposeMode = 'new' | 'reply' | 'all' | 'forward' | 'draft';

const lower = (s: string) => s.toLowerCase();

/** `Name <a@b>` or `a@b`, separated by commas or semicolons (RFC 5322 §3.4, as people type it). */
export function parseAddresses(input: string): { people: Person[]; invalid: string[] } {
  const people: Person[] = [];
  const invalid: string[] = [];
  for (const raw of input.split(/[,;](?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const part = raw.trim();
    if (!part) continue;
    const angle = /^(.*)<([^<>]+)>$/.exec(part);
    const address = (angle ? angle[2] : part).trim();
    const name = angle ? angle[1].trim().replace(/^"(.*)"$/, '$1') : '';
    if (/^[^@\s<>",;]+@[^@\s<>",;]+\.[^@\s<>",;]+$/.test(address)) people.push({ name, address });
    else invalid.push(part);
  }
  return { people, invalid };
}

export function formatAddresses(people: Person[]): string {
  return people
    .map((p) => (p.name ? `${p.name.replace(/[",;<>]/g, ' ').trim()} <${p.address}>` : p.address))
    .join(', ');
}

/** Adds a prefix once: "Re: Re: x" helps nobody. */
function prefixed(prefix: string, subject: string): string {
  return new RegExp(`^${prefix}:`, 'i').test(subject.trim())
    ? subject.trim()
    : `${prefix}: ${subject.trim()}`;
}

/** The identity the message was written to, so the reply comes from the address it was sent to. */
export function identityFor(message: OpenedMessage, identities: Identity[]): string {
  const written = new Set([...message.to, ...message.cc].map((p) => lower(p.address)));
  const match = identities.find((i) => written.has(lower(i.address)));
  return (match ?? identities.find((i) => i.primary) ?? identities[0])?.address ?? '';
}

function quote(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => (line.startsWith('>') ? `>${line}` : `> ${line}`))
    .join('\n');
}

/**
 * The fields of a reply, a reply to all or a forward of `message` (RFC 5322 §3.6.4: In-Reply-To
 * is its Message-ID, References its References followed by its Message-ID).
 */
export function fieldsFrom(
  mode: Exclude<ComposeMode, 'new'>,
  message: OpenedMessage,
  identities: Identity[],
  words: { wrote: string; forwarded: string },
): FormFields {
  const from = identityFor(message, identities);
  const body = message.text ?? '';
  if (mode === 'draft') {
    return {
      from: message.from[0]?.address ?? from,
      to: formatAddresses(message.to),
      cc: formatAddresses(message.cc),
      bcc: formatAddresses(message.bcc),
      subject: message.subject,
      text: body,
      inReplyTo: message.inReplyTo,
      references: message.references,
    };
  }
  if (mode === 'forward') {
    return {
      from,
      to: '',
      cc: '',
      bcc: '',
      subject: prefixed('Fwd', message.subject),
      text: `\n\n${words.forwarded}\n${body}`,
      inReplyTo: null,
      references: message.messageId ? [...message.references, message.messageId] : message.references,
    };
  }
  const author = message.replyTo.length ? message.replyTo : message.from;
  const mine = new Set(identities.map((i) => lower(i.address)));
  const seen = new Set(author.map((p) => lower(p.address)));
  const others =
    mode === 'all'
      ? [...message.to, ...message.cc].filter((p) => {
          const key = lower(p.address);
          if (mine.has(key) || seen.has(key)) return false;
          seen.add(key);
          return true;
        })
      : [];
  return {
    from,
    to: formatAddresses(author),
    cc: formatAddresses(others),
    bcc: '',
    subject: prefixed('Re', message.subject),
    text: `\n\n${words.wrote}\n${quote(body)}`,
    inReplyTo: message.messageId,
    references: message.messageId ? [...message.references, message.messageId] : message.references,
  };
}

/** The bytes a message with these attachments takes once base64 encoded (RFC 2045 §6.8). */
export function encodedSize(text: string, attachments: Array<{ content: ArrayBuffer }>): number {
  const raw = attachments.reduce((n, a) => n + a.content.byteLength, 0);
  // 4/3 for base64, plus line breaks every 76 characters, plus headers: an honest upper bound.
  return Math.ceil(raw * 1.4) + new TextEncoder().encode(text).length * 3 + 4096 * (attachments.length + 1);
}

/** RFC 3676 §4.3: a signature follows a line of "-- " (dash, dash, space). */
export function signatureBlock(signature: string | undefined): string {
  const text = signature?.replace(/\r\n?/g, '\n').trimEnd();
  return text ? `\n\n-- \n${text}` : '';
}

/**
 * The body with the signature of the identity it is now written from: the old identity's block
 * is replaced where it still stands as it was added; a block the person edited is left alone.
 */
export function swapSignature(text: string, from: string | undefined, to: string | undefined): string {
  const before = signatureBlock(from);
  const after = signatureBlock(to);
  if (before === after) return text;
  if (!before) return text.startsWith('\n\n') || text === '' ? `${after}${text}` : text;
  const at = text.indexOf(before);
  return at < 0 ? text : `${text.slice(0, at)}${after}${text.slice(at + before.length)}`;
}
