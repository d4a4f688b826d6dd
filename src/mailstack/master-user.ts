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
 * A secret of the mail stack, made on first use and stored wrapped by the master key; concurrent
 * first uses agree on one row (ON CONFLICT DO NOTHING).
 */
async function stackSecret(ctx: ServiceContext, name: string): Promise<string> {
  const context = envelopeContext('mailstack_secrets', 'secret', name);
  await ctx
    .db('mailstack_secrets')
    .insert({
      name,
      secret: wrapSecret(ctx.keyring, crypto.randomBytes(32).toString('base64url'), context),
    })
    .onConflict('name')
    .ignore();
  const row = await ctx.db('mailstack_secrets').where({ name }).first('secret');
  return unwrapSecret(ctx.keyring, row.secret, context).toString('utf8');
}

/** The webmail's Dovecot master credentials. */
export async function webmailMasterCredentials(ctx: ServiceContext): Promise<MasterCredentials> {
  return { user: WEBMAIL_MASTER_USER, password: await stackSecret(ctx, SECRET_NAME) };
}

/** The key of Dovecot's doveadm HTTP API, where giroflee reads quota usage. */
export const doveadmApiKey = (ctx: ServiceContext): Promise<string> => stackSecret(ctx, 'doveadm-api');
