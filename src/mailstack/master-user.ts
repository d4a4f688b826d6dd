import crypto from 'node:crypto';
import type { ServiceContext } from '../context';
import { envelopeContext, unwrapSecret, wrapSecret } from '../encryption/envelope';

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
export async function webmailMasterCredentials(ctx: ServiceContext): Promise<MasterCredentials> {
  const context = envelopeContext('mailstack_secrets', 'secret', SECRET_NAME);
  await ctx
    .db('mailstack_secrets')
    .insert({
      name: SECRET_NAME,
      secret: wrapSecret(ctx.keyring, crypto.randomBytes(32).toString('base64url'), context),
    })
    .onConflict('name')
    .ignore();
  const row = await ctx.db('mailstack_secrets').where({ name: SECRET_NAME }).first('secret');
  return {
    user: WEBMAIL_MASTER_USER,
    password: unwrapSecret(ctx.keyring, row.secret, context).toString('utf8'),
  };
}
