import * as openpgp from 'openpgp';
import PostalMime, { type Address, type Email, type Header } from 'postal-mime';
import type { OpenedMessage, SignatureStatus } from '../protocol';
import { api, mailPath, WorkerError } from './api';
import { unlockedKeys } from './keys';

const people = (list?: Address[] | Address) =>
  (Array.isArray(list) ? list : list ? [list] : [])
    .flatMap((a) => (a.group ? a.group : [a]))
    .map((a) => ({ name: a.name ?? '', address: a.address ?? '' }));

/** RFC 8601: `authserv-id; method=result …; method=result …` */
function authentication(headers: Header[]): Array<{ method: string; result: string }> {
  const out: Array<{ method: string; result: string }> = [];
  for (const h of headers.filter((x) => x.key === 'authentication-results')) {
    for (const clause of h.value.split(';').slice(1)) {
      const m = /^\s*(spf|dkim|dmarc|arc)\s*=\s*([a-z]+)/i.exec(clause);
      if (m) out.push({ method: m[1].toLowerCase(), result: m[2].toLowerCase() });
    }
  }
  return out;
}

const contentType = (email: Email) => email.headers.find((h) => h.key === 'content-type')?.value ?? '';

function toArrayBuffer(content: ArrayBuffer | Uint8Array | string): ArrayBuffer {
  if (content instanceof ArrayBuffer) return content;
  if (typeof content === 'string') return new TextEncoder().encode(content).buffer as ArrayBuffer;
  return content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength) as ArrayBuffer;
}

function present(outer: Email, inner: Email, encrypted: boolean, signature: SignatureStatus): OpenedMessage {
  // The gateway and the webmail keep the real subject inside when it is protected (outer "...").
  const subject = encrypted && inner.subject ? inner.subject : (outer.subject ?? '');
  return {
    subject,
    from: people(outer.from),
    to: people(outer.to),
    cc: people(outer.cc),
    bcc: encrypted ? people(inner.bcc) : [],
    replyTo: people(outer.replyTo),
    date: outer.date ?? null,
    messageId: outer.messageId ?? null,
    inReplyTo: outer.inReplyTo ?? null,
    references: (outer.references ?? '').match(/<[^<>\s]+>/g) ?? [],
    text: inner.text ?? null,
    html: inner.html ?? null,
    attachments: inner.attachments
      // The signature of a signed message is its status line, not a file to download.
      .filter((a) => a.mimeType !== 'application/pgp-signature')
      .map((a) => {
        const content = toArrayBuffer(a.content);
        return {
          filename: a.filename ?? 'piece-jointe',
          mimeType: a.mimeType,
          size: content.byteLength,
          contentId: a.contentId ?? null,
          inline: a.disposition === 'inline' || Boolean(a.related),
          content,
        };
      }),
    encrypted,
    signature,
    authentication: authentication(outer.headers),
  };
}

/** The sender's published key (the platform's WKD or the sender domain's), if any. */
async function senderKeys(mailbox: string, from: string): Promise<openpgp.Key[]> {
  if (!from || !/^[^@\s]+@[^@\s]+$/.test(from)) return [];
  try {
    const { keys } = await api<{ keys: Record<string, { publicKey: string } | null> }>(
      'POST',
      `${mailPath(mailbox)}/recipient-keys`,
      { addresses: [from] },
    );
    const found = Object.values(keys)[0];
    return found ? await openpgp.readKeys({ armoredKeys: found.publicKey }) : [];
  } catch {
    return [];
  }
}

async function settle(signatures: Array<{ verified: Promise<unknown> }>): Promise<SignatureStatus> {
  try {
    await Promise.all(signatures.map((s) => s.verified));
    return 'valid';
  } catch {
    return 'invalid';
  }
}

/** RFC 3156 §5 multipart/signed: the first part, byte for byte in CRLF form, against the second. */
async function checkDetached(
  mailbox: string,
  raw: Uint8Array,
  type: string,
  from: string,
): Promise<SignatureStatus> {
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return 'invalid';
  const text = new TextDecoder('latin1').decode(raw);
  const delimiter = `--${boundary}`;
  const first = text.indexOf(delimiter);
  const second = first < 0 ? -1 : text.indexOf(`\n${delimiter}`, first + delimiter.length);
  if (second < 0) return 'invalid';
  const start = text.indexOf('\n', first) + 1;
  const end = text[second - 1] === '\r' ? second - 1 : second;
  const signed = text.slice(start, end).replace(/\r?\n/g, '\r\n');
  const armored = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/.exec(text.slice(second));
  if (!armored) return 'invalid';
  const keys = await senderKeys(mailbox, from);
  if (keys.length === 0) return 'unknown-key';
  const signature = await openpgp.readSignature({ armoredSignature: armored[0] });
  const bytes = Uint8Array.from(signed, (c) => c.charCodeAt(0));
  const result = await openpgp.verify({
    message: await openpgp.createMessage({ binary: bytes }),
    signature,
    verificationKeys: keys,
  });
  return settle(result.signatures);
}

/**
 * Fetches, decrypts and parses one message. `verify: false` (the search index) skips checking
 * signatures, which asks the server for the sender's key.
 */
export async function openMessage(
  address: string,
  folder: string,
  uid: number,
  { verify = true }: { verify?: boolean } = {},
): Promise<OpenedMessage> {
  const res = await fetch(
    `/api/v1${mailPath(address)}/folders/${encodeURIComponent(folder)}/messages/${uid}`,
    { credentials: 'same-origin' },
  );
  if (!res.ok) throw new WorkerError(res.status === 404 ? 'not_found' : 'unavailable');
  const raw = new Uint8Array(await res.arrayBuffer());
  const outer = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
  const from = people(outer.from)[0]?.address ?? '';
  const outerType = contentType(outer).toLowerCase();
  if (!outerType.startsWith('multipart/encrypted')) {
    const signature =
      verify && outerType.startsWith('multipart/signed')
        ? await checkDetached(address, raw, contentType(outer), from)
        : 'none';
    return present(outer, outer, false, signature);
  }
  const keys = unlockedKeys();
  if (keys.length === 0) throw new WorkerError('locked');
  const part = outer.attachments.find((a) => a.mimeType === 'application/octet-stream');
  if (!part) throw new WorkerError('malformed');
  const armoredMessage = new TextDecoder().decode(toArrayBuffer(part.content));
  const decrypted = await openpgp.decrypt({
    message: await openpgp.readMessage({ armoredMessage }),
    decryptionKeys: keys,
    format: 'binary',
  });
  const innerRaw = decrypted.data as Uint8Array;
  const inner = await PostalMime.parse(innerRaw, { attachmentEncoding: 'arraybuffer' });
  let signature: SignatureStatus = 'none';
  if (!verify) return present(outer, inner, true, signature);
  if (decrypted.signatures.length > 0) {
    const verificationKeys = await senderKeys(address, from);
    if (verificationKeys.length === 0) signature = 'unknown-key';
    else {
      const again = await openpgp.decrypt({
        message: await openpgp.readMessage({ armoredMessage }),
        decryptionKeys: keys,
        verificationKeys,
        format: 'binary',
      });
      signature = await settle(again.signatures);
    }
  } else if (contentType(inner).toLowerCase().startsWith('multipart/signed')) {
    signature = await checkDetached(address, innerRaw, contentType(inner), from);
  }
  return present(outer, inner, true, signature);
}
