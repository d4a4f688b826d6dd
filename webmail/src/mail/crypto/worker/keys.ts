import { argon2id } from 'hash-wasm';
import * as openpgp from 'openpgp';
import { api, fromBase64, mailPath, toBase64, WorkerError } from './api';

/**
 * The mailbox's unlocked private keys: here and only here. The page gets a sealed blob it cannot
 * open; a reload opens it again with a key only this session's requests get from the server.
 */

let keys: openpgp.PrivateKey[] = [];

export const unlockedKeys = () => keys;

export function forgetKeys(): void {
  keys = [];
}

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
  const { key } = await api<{ key: string }>('GET', `${mailPath(address)}/session-key`);
  return crypto.subtle.importKey('raw', fromBase64(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

async function seal(address: string): Promise<string> {
  const packets = keys.map((k) => k.write());
  const plain = new Uint8Array(packets.reduce((n, p) => n + 4 + p.length, 0));
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

export async function unlock(address: string, password: string): Promise<{ blob: string }> {
  const { keys: wrapped } = await api<{
    keys: Array<{ privateKey: string; state: string; passphrase: KdfParams }>;
  }>('GET', `/mailboxes/${encodeURIComponent(address)}/keys/private`);
  const opened: openpgp.PrivateKey[] = [];
  for (const k of wrapped) {
    const privateKey = await openpgp.readPrivateKey({ armoredKey: k.privateKey });
    try {
      opened.push(await openpgp.decryptKey({ privateKey, passphrase: await derive(password, k.passphrase) }));
    } catch {
      // A locked key (after an admin reset) opens only with its recovery code: skip it.
      if (k.state !== 'locked') throw new WorkerError('wrong_password');
    }
  }
  if (opened.length === 0) throw new WorkerError('no_key');
  keys = opened;
  return { blob: await seal(address) };
}

export async function restore(address: string, blob: string): Promise<boolean> {
  try {
    keys = await unseal(address, blob);
    return keys.length > 0;
  } catch {
    keys = [];
    return false;
  }
}

/**
 * The key new copies are encrypted to and signed with: the newest that can encrypt (a rotation
 * makes the new key the active one; older ones stay for reading old mail).
 */
export async function ownKey(): Promise<openpgp.PrivateKey | null> {
  const usable: openpgp.PrivateKey[] = [];
  for (const key of keys) {
    try {
      await key.getEncryptionKey();
      usable.push(key);
    } catch {
      // Expired or revoked: reading only.
    }
  }
  usable.sort((a, b) => b.getCreationTime().getTime() - a.getCreationTime().getTime());
  return usable[0] ?? null;
}
