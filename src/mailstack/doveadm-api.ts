import type { ServiceContext, SessionKicker } from '../context';
import { doveadmApiKey } from './master-user';

/** One doveadm command: its name, its parameters, and the tag its answer carries back. */
export type DoveadmCommand = [name: string, parameters: Record<string, unknown>, tag: string];

/** One answer: `doveadmResponse` with the command's rows, or `error` with Dovecot's reason. */
export type DoveadmAnswer = [kind: string, payload: unknown, tag: string];

const TIMEOUT_MS = 10_000;

/**
 * Runs commands on Dovecot's doveadm HTTP API (loopback, `doveadm_api_key`), all in one request.
 * Throws a plain Error when Dovecot cannot be asked or answers something else than a list;
 * callers decide what that means for them (unknown usage, sessions not ended).
 */
export async function doveadmCall(ctx: ServiceContext, commands: DoveadmCommand[]): Promise<DoveadmAnswer[]> {
  const { host, port } = ctx.config.doveadm;
  const key = Buffer.from(await doveadmApiKey(ctx)).toString('base64');
  const res = await fetch(`http://${host}:${port}/doveadm/v1`, {
    method: 'POST',
    headers: { authorization: `X-Dovecot-API ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(commands),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`doveadm: HTTP ${res.status}`);
  const answer: unknown = await res.json();
  if (!Array.isArray(answer)) throw new Error('doveadm: unexpected answer');
  return answer as DoveadmAnswer[];
}

/** Masks per `kick` command: a collective's every mailbox in a few commands of one request. */
const KICK_BATCH = 500;

/**
 * Dovecot's `doveadm kick`: every process serving one of these users (IMAP, ManageSieve, the
 * webmail's master-user logins, which are sessions of the mailbox's user) is told to end.
 * Throws when Dovecot cannot be asked or refuses a command.
 */
export function doveadmKicker(ctx: ServiceContext): SessionKicker {
  return {
    async kick(addresses) {
      if (addresses.length === 0) return;
      const commands: DoveadmCommand[] = [];
      for (let i = 0; i < addresses.length; i += KICK_BATCH) {
        commands.push(['kick', { mask: addresses.slice(i, i + KICK_BATCH) }, String(i)]);
      }
      const answers = await doveadmCall(ctx, commands);
      const refused = answers.find(([kind]) => kind !== 'doveadmResponse');
      if (refused || answers.length !== commands.length) {
        throw new Error(`doveadm kick: ${JSON.stringify(refused?.[1] ?? 'answers missing')}`);
      }
    },
  };
}
