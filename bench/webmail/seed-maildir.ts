import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buffer } from 'node:stream/consumers';
import { encryptLargeMessage, encryptMessage } from '../../src/encryption/pgp-mime';
import type { RecipientPolicy } from '../../src/encryption/recipient-keys';

const run = promisify(execFile);

/** One message of the seeded folder, before encryption. */
export interface Seed {
  n: number;
  date: Date;
  subject: string;
  body: string;
  /** Unread (delivered to new/), as the latest arrivals of a real box are. */
  unread: boolean;
}

export interface SeedTimes {
  messages: number;
  /** The folder's Maildir. */
  maildir: string;
  /** Encrypting and writing the files. */
  storeSeconds: number;
  /** Dovecot's sync of the folder (UIDs, index). */
  indexSeconds: number;
}

const ADDRESS_HOST = 'remote.example';

/**
 * The message as the inbound gateway receives it from Postfix: the trace fields Postfix and
 * rspamd add, display headers, and a thread every few messages (In-Reply-To, References).
 */
export function incoming(s: Seed, to: string): Buffer {
  const sender = `sender${s.n % 97}@${ADDRESS_HOST}`;
  const replyTo = s.n % 5 === 4 ? s.n - 1 : null;
  const stamp = s.date.toUTCString().replace('GMT', '+0000');
  return Buffer.from(
    [
      `Received: from mx.${ADDRESS_HOST} (mx.${ADDRESS_HOST})`,
      `\tby mail.giroflee.test (Postfix) with ESMTPS id ${(0x10000 + s.n).toString(16).toUpperCase()}`,
      `\tfor <${to}>; ${stamp}`,
      `Authentication-Results: mail.giroflee.test; dkim=pass header.d=${ADDRESS_HOST};`,
      `\tspf=pass smtp.mailfrom=${sender}; dmarc=pass header.from=${ADDRESS_HOST}`,
      `From: Expéditeur ${s.n % 97} <${sender}>`,
      `To: <${to}>`,
      `Subject: ${s.subject}`,
      `Date: ${stamp}`,
      `Message-ID: <bench-${s.n}@${ADDRESS_HOST}>`,
      ...(replyTo === null
        ? []
        : [
            `In-Reply-To: <bench-${replyTo}@${ADDRESS_HOST}>`,
            `References: <bench-${replyTo}@${ADDRESS_HOST}>`,
          ]),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      s.body,
      '',
    ].join('\r\n'),
  );
}

/** What the gateway hands Dovecot for this policy: streamed above 1 MiB, as the gateway does. */
async function storedForm(raw: Buffer, policy: RecipientPolicy): Promise<Buffer> {
  const opts = { protectedSubject: policy.protectedSubject };
  if (raw.length > 1024 * 1024) {
    const stream = await encryptLargeMessage(raw, policy.keys, opts);
    if (!stream) throw new Error('seed message taken for already encrypted');
    return buffer(stream());
  }
  const out = await encryptMessage(raw, policy.keys, opts);
  if (!out) throw new Error('seed message taken for already encrypted');
  return out;
}

/**
 * Fills a mailbox's INBOX as years of deliveries through the inbound gateway would have: each
 * message encrypted on its own for the mailbox's keys (pgp-mime, as the gateway), the header
 * Dovecot's LMTP adds, stored as a Maildir file (LF line ends, `S=` and `W=` sizes in its name, its
 * delivery time as mtime, owned by the mail user), then Dovecot syncs the folder once, as its
 * next login would. Dovecot's cache is left empty: the first SORT reads every file, as on the
 * first visit after a migration.
 */
export async function seedMaildir(o: {
  doveadm: (...args: string[]) => Promise<string>;
  address: string;
  policy: RecipientPolicy;
  vmail: { uid: number; gid: number };
  seeds: AsyncIterable<Seed> | Iterable<Seed>;
  say: (l: string) => void;
}): Promise<SeedTimes> {
  // Creates the Maildir with the mail user's ownership and modes.
  await o.doveadm('mailbox', 'status', '-u', o.address, 'messages', 'INBOX');
  const home = (await o.doveadm('user', '-f', 'home', o.address)).trim();
  const maildir = path.join(home, 'Maildir');
  let written = 0;
  const store = async (s: Seed) => {
    const stored = (await storedForm(incoming(s, o.address), o.policy))
      .toString('latin1')
      .replace(/\r\n/g, '\n');
    const stamp = s.date.toUTCString().replace('GMT', '+0000');
    // Dovecot's LMTP puts the envelope sender, the recipient and its own trace on top.
    const file = Buffer.from(
      `Return-Path: <sender${s.n % 97}@${ADDRESS_HOST}>\nDelivered-To: ${o.address}\n` +
        `Received: from mail.giroflee.test\n\tby mail.giroflee.test with LMTP id bench${s.n}\n` +
        `\tfor <${o.address}>; ${stamp}\n${stored}`,
      'latin1',
    );
    const lines = file.reduce((k, b) => (b === 0x0a ? k + 1 : k), 0);
    const base = `${Math.floor(s.date.getTime() / 1000)}.M${s.n}P1.bench,S=${file.length},W=${file.length + lines}`;
    const p = path.join(maildir, s.unread ? path.join('new', base) : path.join('cur', `${base}:2,S`));
    await fs.writeFile(p, file, { mode: 0o600 });
    await fs.chown(p, o.vmail.uid, o.vmail.gid);
    await fs.utimes(p, s.date, s.date);
    if (++written % 2000 === 0) o.say(`  written ${written}`);
  };
  let t = process.hrtime.bigint();
  // A few files in flight, so the disk writes overlap the next encryptions.
  const batch: Seed[] = [];
  for await (const s of o.seeds) {
    batch.push(s);
    if (batch.length === 16) await Promise.all(batch.splice(0).map(store));
  }
  await Promise.all(batch.map(store));
  const storeSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  t = process.hrtime.bigint();
  await o.doveadm('mailbox', 'status', '-u', o.address, 'messages', 'INBOX');
  return {
    messages: written,
    maildir,
    storeSeconds,
    indexSeconds: Number(process.hrtime.bigint() - t) / 1e9,
  };
}

/** doveadm against the stack's own configuration. */
export function doveadmFor(configFile: string): (...args: string[]) => Promise<string> {
  return async (...args) =>
    (await run('doveadm', ['-c', configFile, ...args], { maxBuffer: 16 * 2 ** 20 })).stdout;
}
