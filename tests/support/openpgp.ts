import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { derivePassphrase, KdfParams } from '../../src/encryption/passphrase';

/** The ASCII-armored OpenPGP message inside a stored message (or any text holding one). */
export function armoredPart(stored: Buffer | string): string {
  const text = typeof stored === 'string' ? stored : stored.toString('latin1');
  const end = '-----END PGP MESSAGE-----';
  return text.slice(text.indexOf('-----BEGIN PGP MESSAGE-----'), text.indexOf(end) + end.length);
}

/** Length of the binary OpenPGP data an armored block carries (its base64 lines, no checksum). */
export function armoredDataLength(armored: string): number {
  const lines = armored.split(/\r?\n/).filter((l) => /^[A-Za-z0-9+/]+=*$/.test(l));
  return Buffer.from(lines.join(''), 'base64').length;
}

/** A private key as the webmail opens it: the passphrase derived from the password, then unlocked. */
export async function unlockKey(
  armoredKey: string,
  password: string,
  kdf: KdfParams,
): Promise<openpgp.PrivateKey> {
  return openpgp.decryptKey({
    privateKey: await openpgp.readPrivateKey({ armoredKey }),
    passphrase: await derivePassphrase(password, kdf),
  });
}

/** What a reader does: find the armored part, decrypt it, return the inner entity's bytes. */
export async function decryptStored(
  stored: Buffer | string,
  keys: openpgp.PrivateKey | openpgp.PrivateKey[],
): Promise<Buffer> {
  const { data } = await openpgp.decrypt({
    message: await openpgp.readMessage({ armoredMessage: armoredPart(stored) }),
    decryptionKeys: keys,
    format: 'binary',
  });
  return Buffer.from(data as Uint8Array);
}

export type Gpg = (args: string[], input?: string | Buffer) => Buffer;

/**
 * Runs `fn` with Debian's GnuPG in a fresh home directory (batch mode, passphrases from files),
 * then stops its agent and removes the directory. `gpg` throws, with GnuPG's messages, unless it
 * exits 0: scripts and mail clients check that status, so a test passes only when they would.
 */
export async function withGpg<T>(fn: (gpg: Gpg, home: string) => Promise<T> | T): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-gpg-'));
  const gpg: Gpg = (args, input) =>
    execFileSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--pinentry-mode', 'loopback', ...args], {
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  try {
    return await fn(gpg, home);
  } finally {
    execFileSync('gpgconf', ['--homedir', home, '--kill', 'all']);
    fs.rmSync(home, { recursive: true, force: true });
  }
}
