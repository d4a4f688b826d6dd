import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors';

/**
 * The master keyring: server secrets in the database are wrapped by these keys, which live in
 * a file outside the database (so a database dump alone reveals nothing).
 *
 * File format, one key a line: `<keyId> <base64 32 bytes>`; the last line is the key that wraps
 * new secrets, the earlier ones still unwrap old envelopes until a rotation retires them.
 */
export interface MasterKey {
  id: string;
  key: Buffer;
}

export class Keyring {
  /**
   * `file`: where the keyring was read from. A key id it does not know makes it read the file
   * again, so a running server picks up a key added by `giroflee keys rotate-master`.
   */
  constructor(
    readonly keys: MasterKey[],
    private readonly file?: string,
  ) {
    if (keys.length === 0) throw new Error('the master keyring is empty');
  }

  get current(): MasterKey {
    return this.keys[this.keys.length - 1];
  }

  find(id: string): MasterKey | undefined {
    const hit = this.keys.find((k) => k.id === id);
    if (hit || !this.file) return hit;
    this.keys.splice(
      0,
      this.keys.length,
      ...Keyring.parse(fs.readFileSync(this.file, 'utf8'), this.file).keys,
    );
    return this.keys.find((k) => k.id === id);
  }

  static generateKey(): MasterKey {
    return { id: crypto.randomBytes(4).toString('hex'), key: crypto.randomBytes(32) };
  }

  serialize(): string {
    return this.keys.map((k) => `${k.id} ${k.key.toString('base64')}`).join('\n') + '\n';
  }

  static parse(text: string, source: string, reloadable = false): Keyring {
    const keys = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((line) => {
        const [id, b64] = line.split(/\s+/);
        const key = Buffer.from(b64 ?? '', 'base64');
        if (!/^[0-9a-f]{8}$/.test(id) || key.length !== 32) {
          throw new Error(`${source}: malformed master key line`);
        }
        return { id, key };
      });
    return new Keyring(keys, reloadable ? source : undefined);
  }
}

/** Writes the keyring atomically with mode 0600. */
export function saveKeyring(file: string, keyring: Keyring): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, keyring.serialize(), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Loads the keyring, creating it on first start (with a reminder to back it up apart). */
export function loadOrCreateKeyring(file: string): Keyring {
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o777;
    // Whoever reads this file reads every secret in the database: refuse it rather than warn.
    if (mode & 0o077) {
      throw new AppError(500, 'master_key_exposed', {
        fr: `La clé maîtresse ${file} est lisible par d’autres que son propriétaire (mode ${mode.toString(8)}) : giroflee ne démarre pas ainsi. Corrigez avec « chmod 600 ${file} », puis demandez-vous qui a pu la lire (si c’est possible, faites tourner la clé : giroflee keys rotate-master).`,
        en: `The master key ${file} is readable by others than its owner (mode ${mode.toString(8)}): giroflee will not start so. Fix it with "chmod 600 ${file}", then ask yourself who could have read it (if anyone could, rotate it: giroflee keys rotate-master).`,
      });
    }
    return Keyring.parse(fs.readFileSync(file, 'utf8'), file, true);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const keyring = new Keyring([Keyring.generateKey()], file);
  saveKeyring(file, keyring);
  process.stderr.write(
    `\nA new master key was created at ${file}.\n` +
      `Back it up NOW, somewhere other than the database backups: without it, DKIM keys, relay passwords\n` +
      `and TOTP secrets in the database cannot be read.\n` +
      `Une nouvelle clé maîtresse a été créée dans ${file}.\n` +
      `Sauvegardez-la MAINTENANT, ailleurs qu’avec les sauvegardes de la base : sans elle, les clés DKIM,\n` +
      `les mots de passe des relais et les secrets TOTP de la base sont illisibles.\n\n`,
  );
  return keyring;
}
