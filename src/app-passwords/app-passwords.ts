import crypto from 'node:crypto';
import type { ServiceContext } from '../context';
import { registerConstraint } from '../db/pg-errors';

/**
 * App passwords: the one module that writes `app_passwords` and `app_password_settings`.
 *
 * An app password lets a mail program (Thunderbird, a phone, Nextcloud Mail) log in to IMAP and
 * SMTP submission. It is not the mailbox password: it never opens the web login, and it cannot
 * unlock the mailbox's OpenPGP key, which is wrapped by a passphrase derived from the mailbox
 * password only. Dovecot reads app passwords through the `mta.app_passwords` view.
 */
export interface AppPasswordRow {
  id: string;
  mailbox_id: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS = ['id', 'mailbox_id', 'name', 'created_at', 'last_used_at'];

/** How many app passwords one mailbox may hold: one per device is the intended use. */
export const MAX_APP_PASSWORDS = 20;

registerConstraint('app_passwords_name_unique', 'app_password_name_taken', {
  fr: 'Un mot de passe d’application porte déjà ce nom.',
  en: 'An app password with this name already exists.',
});

// RFC 4648 base32 alphabet, lowercase: no 0/1/8/9 to mistake for letters when typed on a phone.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const GROUPS = 6;
/** The password's first two groups, which Dovecot passes to the lookup (`%0.9w`). */
export const LOOKUP_KEY_LENGTH = 9;

/** 24 random base32 characters (120 bits) in groups of four: `abcd-efgh-ijkl-mnop-qrst-uvwx`. */
export function generateAppPassword(): string {
  // 32 symbols divide 256: taking 5 bits of each byte is unbiased.
  const bytes = crypto.randomBytes(GROUPS * 4);
  const chars = [...bytes].map((b) => ALPHABET[b & 31]);
  const groups: string[] = [];
  for (let i = 0; i < GROUPS; i += 1) groups.push(chars.slice(i * 4, i * 4 + 4).join(''));
  return groups.join('-');
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');

/** What the API shows: never the password, not even hashed. */
export function presentAppPassword(p: AppPasswordRow) {
  return { id: p.id, name: p.name, createdAt: p.created_at, lastUsedAt: p.last_used_at };
}

export async function listAppPasswords(ctx: ServiceContext, mailboxId: string): Promise<AppPasswordRow[]> {
  return ctx.db('app_passwords').where({ mailbox_id: mailboxId }).orderBy('created_at').select(COLUMNS);
}

export async function countAppPasswords(ctx: ServiceContext, mailboxId: string): Promise<number> {
  const [{ n }] = await ctx.db('app_passwords').where({ mailbox_id: mailboxId }).count({ n: '*' });
  return Number(n);
}

/** Stores a new app password; the clear password is returned once and never stored. */
export async function insertAppPassword(
  ctx: ServiceContext,
  mailboxId: string,
  name: string,
): Promise<{ row: AppPasswordRow; password: string }> {
  // Two passwords of one mailbox sharing a lookup key (1 in 2^40) would make one unusable: draw again.
  for (;;) {
    const password = generateAppPassword();
    const lookupKey = password.slice(0, LOOKUP_KEY_LENGTH);
    const clash = await ctx
      .db('app_passwords')
      .where({ mailbox_id: mailboxId, lookup_key: lookupKey })
      .first('id');
    if (clash) continue;
    const [row] = await ctx
      .db('app_passwords')
      .insert({
        mailbox_id: mailboxId,
        name,
        lookup_key: lookupKey,
        secret_hash: sha256(password),
        created_at: ctx.now(),
      })
      .returning(COLUMNS);
    return { row, password };
  }
}

/** Deletes one app password of the mailbox; undefined when there is none with this id. */
export async function deleteAppPassword(
  ctx: ServiceContext,
  mailboxId: string,
  id: string,
): Promise<AppPasswordRow | undefined> {
  const [row] = await ctx
    .db('app_passwords')
    .where({ mailbox_id: mailboxId, id })
    .delete()
    .returning(COLUMNS);
  return row;
}

export interface AppPasswordSettings {
  /** IMAP and SMTP refuse the main password while the mailbox holds an app password. */
  mainPasswordRefused: boolean;
}

export async function getAppPasswordSettings(
  ctx: ServiceContext,
  mailboxId: string,
): Promise<AppPasswordSettings> {
  const row = await ctx
    .db('app_password_settings')
    .where({ mailbox_id: mailboxId })
    .first('main_password_refused');
  return { mainPasswordRefused: row?.main_password_refused ?? false };
}

export async function saveAppPasswordSettings(
  ctx: ServiceContext,
  mailboxId: string,
  settings: AppPasswordSettings,
): Promise<void> {
  await ctx
    .db('app_password_settings')
    .insert({
      mailbox_id: mailboxId,
      main_password_refused: settings.mainPasswordRefused,
      updated_at: ctx.now(),
    })
    .onConflict('mailbox_id')
    .merge();
}
