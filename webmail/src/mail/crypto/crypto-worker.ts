/// <reference lib="webworker" />
import { argon2id } from 'hash-wasm';
import * as openpgp from 'openpgp';
import PostalMime, { type Address, type Email, type Header } from 'postal-mime';
import type { CryptoApi, OpenedMessage, Request, Response } from './protocol';

/**
 * The webmail's keys live here and only here: the page sends a password once, gets back a blob
 * it cannot open, and asks for messages by UID. Nothing this Worker answers contains key material.
 */

let keys: openpgp.PrivateKey[] = [];

class WorkerError extends Error {
  constructor(
    readonly code: string,
    message = code,
  ) {
    super(message);
  }
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    throw new WorkerError(body?.error?.code ?? 'unavailable', body?.error?.message ?? '');
  }
  return (await res.json()) as T;
}

const fromBase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const toBase64 = (bytes: Uint8Array) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};

interface KdfParams {
  salt: string;
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  hashLength: number;
}

/** The same derivation as the server's (src/encryption/passphrase.ts): hex(argon2id(password)). */
function derive(password: string, kdf: KdfParams): Promise<string> {
  return argon2id({
    password,
    salt: fromBase64(kdf.salt),
    memorySize: kdf.memoryKiB,
    iterations: kdf.iterations,
    parallelism: kdf.parallelism,
    hashLength: kdf.hashLength,
    outputType: 'hex',
  });
}

/** AES-GCM under the key the server gives this session only (GET /mail/:address/session-key). */
async function sessionKey(address: string): Promise<CryptoKey> {
  const { key } = await api<{ key: string }>(`/mail/${encodeURIComponent(address)}/session-key`);
  return crypto.subtle.importKey('raw', fromBase64(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

async function seal(address: string): Promise<string> {
  const packets = keys.map((k) => k.write());
  const total = packets.reduce((n, p) => n + 4 + p.length, 0);
  const plain = new Uint8Array(total);
  let at = 0;
  for (const p of packets) {
    new DataView(plain.buffer).setUint32(at, p.length);
    plain.set(p, at + 4);
    at += 4 + p.length;
  }
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await sessionKey(address), plain),
  );
  plain.fill(0);
  const out = new Uint8Array(12 + sealed.length);
  out.set(iv);
  out.set(sealed, 12);
  return toBase64(out);
}

async function unseal(address: string, blob: string): Promise<openpgp.PrivateKey[]> {
  const bytes = fromBase64(blob);
  const plain = new Uint8Array(
    await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(0, 12) },
      await sessionKey(address),
      bytes.subarray(12),
    ),
  );
  const out: openpgp.PrivateKey[] = [];
  for (let at = 0; at < plain.length;) {
    const length = new DataView(plain.buffer).getUint32(at);
    out.push(await openpgp.readPrivateKey({ binaryKey: plain.slice(at + 4, at + 4 + length) }));
    at += 4 + length;
  }
  plain.fill(0);
  return out;
}

const addresses = (list?: Address[] | Address) =>
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

function present(outer: Email, inner: Email, encrypted: boolean): OpenedMessage {
  // The gateway keeps the real subject inside when the mailbox protects subjects (outer "...").
  const subject = encrypted && inner.subject ? inner.subject : (outer.subject ?? '');
  return {
    subject,
    from: addresses(outer.from),
    to: addresses(outer.to),
    cc: addresses(outer.cc),
    replyTo: addresses(outer.replyTo),
    date: outer.date ?? null,
    messageId: outer.messageId ?? null,
    references: (outer.references ?? '').match(/<[^<>\s]+>/g) ?? [],
    text: inner.text ?? null,
    html: inner.html ?? null,
    attachments: inner.attachments.map((a) => {
      const content =
        a.content instanceof ArrayBuffer
          ? a.content
          : typeof a.content === 'string'
            ? new TextEncoder().encode(a.content).buffer
            : (a.content.buffer.slice(
                a.content.byteOffset,
                a.content.byteOffset + a.content.byteLength,
              ) as ArrayBuffer);
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
    signature: 'none',
    authentication: authentication(outer.headers),
  };
}

const handlers: CryptoApi = {
  async unlock({ address, password }) {
    const { keys: wrapped } = await api<{
      keys: Array<{ privateKey: string; state: string; passphrase: KdfParams }>;
    }>(`/mailboxes/${encodeURIComponent(address)}/keys/private`);
    const opened: openpgp.PrivateKey[] = [];
    for (const k of wrapped) {
      const privateKey = await openpgp.readPrivateKey({ armoredKey: k.privateKey });
      try {
        opened.push(
          await openpgp.decryptKey({ privateKey, passphrase: await derive(password, k.passphrase) }),
        );
      } catch {
        // A locked key (after an admin reset) opens only with its recovery code: skip it.
        if (k.state !== 'locked') throw new WorkerError('wrong_password');
      }
    }
    if (opened.length === 0) throw new WorkerError('no_key');
    keys = opened;
    return { blob: await seal(address) };
  },

  async restore({ address, blob }) {
    try {
      keys = await unseal(address, blob);
      return keys.length > 0;
    } catch {
      keys = [];
      return false;
    }
  },

  async isUnlocked() {
    return keys.length > 0;
  },

  async open({ address, folder, uid }) {
    const res = await fetch(
      `/api/v1/mail/${encodeURIComponent(address)}/folders/${encodeURIComponent(folder)}/messages/${uid}`,
      { credentials: 'same-origin' },
    );
    if (!res.ok) throw new WorkerError(res.status === 404 ? 'not_found' : 'unavailable');
    const raw = new Uint8Array(await res.arrayBuffer());
    const outer = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
    const type = outer.headers.find((h) => h.key === 'content-type')?.value.toLowerCase() ?? '';
    if (!type.startsWith('multipart/encrypted')) return present(outer, outer, false);
    if (keys.length === 0) throw new WorkerError('locked');
    const part = outer.attachments.find((a) => a.mimeType === 'application/octet-stream');
    if (!part) throw new WorkerError('malformed');
    const armored = new TextDecoder().decode(part.content as ArrayBuffer);
    const decrypted = await openpgp.decrypt({
      message: await openpgp.readMessage({ armoredMessage: armored }),
      decryptionKeys: keys,
      format: 'binary',
    });
    const inner = await PostalMime.parse(decrypted.data as Uint8Array, { attachmentEncoding: 'arraybuffer' });
    return {
      ...present(outer, inner, true),
      signature: decrypted.signatures.length ? 'unknown-key' : 'none',
    };
  },

  async lock() {
    keys = [];
  },
};

self.onmessage = async (event: MessageEvent<Request>) => {
  const { id, op, args } = event.data;
  let reply: Response;
  try {
    const result = await (handlers[op] as (a: unknown) => Promise<unknown>)(args);
    reply = { id, ok: true, result };
  } catch (e) {
    const code = e instanceof WorkerError ? e.code : 'crypto_failed';
    reply = { id, ok: false, error: { code, message: (e as Error).message } };
  }
  const transfer =
    reply.ok && op === 'open' ? (reply.result as OpenedMessage).attachments.map((a) => a.content) : [];
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(reply, transfer);
};
