import crypto from 'node:crypto';
import type { Db } from '../db/knex';
import { envelopeContext, unwrapSecret, wrapSecret } from '../encryption/envelope';
import type { Keyring } from '../encryption/master-key';

/** Dovecot master user of the webmail: it logs in as `<mailbox address>*webmail`. */
export const WEBMAIL_MASTER_USER = 'webmail';
const SECRET_NAME = 'webmail-master';

export interface MasterCredentials {
  user: string;
  password: string;
}

/** The Dovecot login under which the webmail opens `address`'s mailbox. */
export function masterLogin(address: string, master: MasterCredentials): string {
  return `${address}*${master.user}`;
}

/**
 * The webmail's Dovecot master credentials, made on first use. The secret is stored wrapped by
 * the master key; concurrent first uses agree on one row (ON CONFLICT DO NOTHING).
 */
export async function webmailMasterCredentials(db: Db, keyring: Keyring): Promise<MasterCredentials> {
  const context = envelopeContext('mailstack_secrets', 'secret', SECRET_NAME);
  await db('mailstack_secrets')
    .insert({
      name: SECRET_NAME,
      secret: wrapSecret(keyring, crypto.randomBytes(32).toString('base64url'), context),
    })
    .onConflict('name')
    .ignore();
  const row = await db('mailstack_secrets').where({ name: SECRET_NAME }).first('secret');
  return {
    user: WEBMAIL_MASTER_USER,
    password: unwrapSecret(keyring, row.secret, context).toString('utf8'),
  };
}
