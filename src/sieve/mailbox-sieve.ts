import type { ServiceContext } from '../context';
import { errors } from '../errors';
import { logger } from '../logger';
import { masterLogin, webmailMasterCredentials } from '../mailstack/master-user';
import { ManageSieveClient, ManageSieveError } from './managesieve-client';
import { NO_RULES, type SieveRules } from './sieve-rules';
import { readSieveScript, renderSieveScript } from './sieve-script';

/** The name of the script giroflee writes in each mailbox. */
export const SCRIPT_NAME = 'giroflee';

const unavailable = (e: unknown) => {
  logger.warn({ err: e }, 'ManageSieve unavailable');
  return errors.unavailable(
    { reason: (e as Error).message },
    {
      fr: 'Dovecot ne répond pas : les règles de tri ne peuvent pas être lues ni changées pour l’instant.',
      en: 'Dovecot does not answer: filter rules cannot be read or changed for now.',
    },
  );
};

/** Pigeonhole compiles a script before storing it; its refusal (NO) comes with its words. */
class ScriptRefused extends Error {}

/**
 * Runs `fn` on a ManageSieve session opened for `address` with the webmail's Dovecot master
 * credentials (giroflee acts for the mailbox; the mailbox password is never needed). Dovecot out
 * of reach answers 503; a script Pigeonhole refuses answers 400 with its words.
 */
async function withMailboxSieve<T>(
  ctx: ServiceContext,
  address: string,
  fn: (client: ManageSieveClient) => Promise<T>,
): Promise<T> {
  const master = await webmailMasterCredentials(ctx);
  let client: ManageSieveClient;
  try {
    client = await ManageSieveClient.connect(ctx.config.managesieve);
    await client.authenticate(masterLogin(address, master), master.password);
  } catch (e) {
    throw unavailable(e);
  }
  try {
    const result = await fn(client);
    await client.logout();
    return result;
  } catch (e) {
    client.close();
    if (e instanceof ScriptRefused) {
      throw errors.badRequest(
        'sieve_refused',
        { fr: 'Dovecot refuse ces règles de tri.', en: 'Dovecot refuses these filter rules.' },
        { reason: e.message },
      );
    }
    throw unavailable(e);
  }
}

export interface MailboxSieve {
  rules: SieveRules;
  /** The active script is not giroflee's (written by other means): its rules are not shown. */
  otherScriptActive: boolean;
}

/** The mailbox's rules as its active script holds them; none when no script of ours is active. */
export async function readMailboxSieve(ctx: ServiceContext, address: string): Promise<MailboxSieve> {
  return withMailboxSieve(ctx, address, async (client) => {
    const active = (await client.listScripts()).find((s) => s.active);
    if (!active) return { rules: NO_RULES, otherScriptActive: false };
    const rules =
      active.name === SCRIPT_NAME ? readSieveScript((await client.getScript(SCRIPT_NAME)) ?? '') : undefined;
    return rules ? { rules, otherScriptActive: false } : { rules: NO_RULES, otherScriptActive: true };
  });
}

/** Writes and activates the script of `rules` (replacing any other active script). */
export async function writeMailboxSieve(
  ctx: ServiceContext,
  address: string,
  rules: SieveRules,
): Promise<void> {
  await withMailboxSieve(ctx, address, async (client) => {
    await client.putScript(SCRIPT_NAME, renderSieveScript(rules)).catch((e: unknown) => {
      throw e instanceof ManageSieveError && e.response?.status === 'NO'
        ? new ScriptRefused(e.response.text ?? e.message)
        : e;
    });
    await client.setActive(SCRIPT_NAME);
  });
}
