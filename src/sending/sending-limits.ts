import type { SendingLimits } from '../config';
import type { ServiceContext } from '../context';

/**
 * Sending limits: the one module that writes `sending_limits`, `sending_counts` and
 * `sending_suspensions`. The platform's defaults come from the configuration; a collective's
 * override replaces the limits it sets (NULL keeps the default).
 */
export type LimitOverrides = { [K in keyof SendingLimits]?: number | null };

const COLUMN: Record<keyof SendingLimits, string> = {
  hourMessages: 'hour_messages',
  hourRecipients: 'hour_recipients',
  dayMessages: 'day_messages',
  dayRecipients: 'day_recipients',
};
const KEYS = Object.keys(COLUMN) as Array<keyof SendingLimits>;

type OverrideRow = Record<string, number | null>;

function overridesOf(row: OverrideRow | undefined): LimitOverrides {
  const out: LimitOverrides = {};
  for (const k of KEYS) out[k] = row?.[COLUMN[k]] ?? null;
  return out;
}

const effective = (defaults: SendingLimits, o: LimitOverrides): SendingLimits =>
  Object.fromEntries(KEYS.map((k) => [k, o[k] ?? defaults[k]])) as unknown as SendingLimits;

export async function collectiveOverrides(
  ctx: ServiceContext,
  collectiveId: string,
): Promise<LimitOverrides> {
  return overridesOf(await ctx.db('sending_limits').where({ collective_id: collectiveId }).first());
}

/** The limits in force for a collective's mailboxes. */
export async function collectiveLimits(ctx: ServiceContext, collectiveId: string): Promise<SendingLimits> {
  return effective(ctx.config.sending.limits, await collectiveOverrides(ctx, collectiveId));
}

/** Sets (a number) or clears (null) some of a collective's overrides; returns them all. */
export async function writeCollectiveOverrides(
  ctx: ServiceContext,
  collectiveId: string,
  patch: LimitOverrides,
): Promise<LimitOverrides> {
  const merged = { ...(await collectiveOverrides(ctx, collectiveId)), ...patch };
  const row = Object.fromEntries(KEYS.map((k) => [COLUMN[k], merged[k] ?? null]));
  await ctx
    .db('sending_limits')
    .insert({ collective_id: collectiveId, ...row, updated_at: ctx.now() })
    .onConflict('collective_id')
    .merge();
  return merged;
}

export async function isSendingSuspended(ctx: ServiceContext, mailboxId: string): Promise<boolean> {
  return Boolean(await ctx.db('sending_suspensions').where({ mailbox_id: mailboxId }).first('mailbox_id'));
}

/** Returns whether this call changed anything. */
export async function writeSuspension(
  ctx: ServiceContext,
  mailboxId: string,
  suspended: boolean,
): Promise<boolean> {
  if (!suspended) return (await ctx.db('sending_suspensions').where({ mailbox_id: mailboxId }).delete()) > 0;
  const rows = await ctx
    .db('sending_suspensions')
    .insert({ mailbox_id: mailboxId, suspended_at: ctx.now() })
    .onConflict('mailbox_id')
    .ignore()
    .returning('mailbox_id');
  return rows.length > 0;
}

/** What a submitting login is, as the policy service needs it. */
export interface Sender {
  mailboxId: string;
  collectiveId: string;
  domainName: string;
  /** Its sending is suspended (sending_suspensions: a compromised account). */
  suspended: boolean;
  /** The mailbox, its domain or its collective is suspended: nothing leaves in its name. */
  closed?: SenderClosed;
  limits: SendingLimits;
}

/** Why a hosted address may send nothing at all: its mailbox (or domain) or its collective is suspended. */
export type SenderClosed = 'mailbox' | 'collective';

/** The mailbox a submission login belongs to, with its limits and state; undefined for anything else. */
export async function findSender(ctx: ServiceContext, login: string): Promise<Sender | undefined> {
  const row = await ctx
    .db('mailboxes as m')
    .join('domains as d', 'd.id', 'm.domain_id')
    .leftJoin('sending_limits as l', 'l.collective_id', 'd.collective_id')
    .join('collectives as c', 'c.id', 'd.collective_id')
    .leftJoin('sending_suspensions as s', 's.mailbox_id', 'm.id')
    .where('m.address', login.toLowerCase())
    .first(
      'm.id as mailbox_id',
      'd.collective_id',
      'd.name as domain_name',
      's.mailbox_id as suspended',
      ctx.db.raw('c.suspended_at IS NOT NULL AS collective_suspended'),
      ctx.db.raw(`(m.status <> 'active' OR d.status <> 'active') AS mailbox_closed`),
      ...KEYS.map((k) => `l.${COLUMN[k]}`),
    );
  if (!row) return undefined;
  return {
    mailboxId: row.mailbox_id,
    collectiveId: row.collective_id,
    domainName: row.domain_name,
    suspended: row.suspended !== null,
    closed: row.collective_suspended ? 'collective' : row.mailbox_closed ? 'mailbox' : undefined,
    limits: effective(ctx.config.sending.limits, overridesOf(row)),
  };
}

export type SendingCounts = SendingLimits;

const HOUR_MS = 3600_000;

/**
 * Adds one message with `recipients` recipients to the mailbox's current hour and returns the
 * totals including it: this hour's, and the last 24 hours'. One statement: the upsert locks the
 * hour's row, so two submissions of one mailbox are counted one after the other. Rows older than
 * a day are removed on the way.
 */
export async function countSubmission(
  ctx: ServiceContext,
  mailboxId: string,
  recipients: number,
): Promise<SendingCounts> {
  const now = ctx.now().getTime();
  const hour = new Date(now - (now % HOUR_MS));
  const dayStart = new Date(hour.getTime() - 23 * HOUR_MS);
  const { rows } = await ctx.db.raw(
    `WITH bump AS (
       INSERT INTO sending_counts AS c (mailbox_id, hour, messages, recipients) VALUES (?, ?, 1, ?)
       ON CONFLICT (mailbox_id, hour)
       DO UPDATE SET messages = c.messages + 1, recipients = c.recipients + EXCLUDED.recipients
       RETURNING messages, recipients
     ), pruned AS (
       DELETE FROM sending_counts WHERE mailbox_id = ? AND hour < ?
     ), earlier AS (
       -- The statement's snapshot does not see the upsert: the day is the earlier hours plus bump.
       SELECT coalesce(sum(messages), 0) AS messages, coalesce(sum(recipients), 0) AS recipients
       FROM sending_counts WHERE mailbox_id = ? AND hour >= ? AND hour < ?
     )
     SELECT b.messages AS hour_messages, b.recipients AS hour_recipients,
            b.messages + e.messages AS day_messages, b.recipients + e.recipients AS day_recipients
     FROM bump b, earlier e`,
    [mailboxId, hour, recipients, mailboxId, dayStart, mailboxId, dayStart, hour],
  );
  const r = rows[0];
  return {
    hourMessages: Number(r.hour_messages),
    hourRecipients: Number(r.hour_recipients),
    dayMessages: Number(r.day_messages),
    dayRecipients: Number(r.day_recipients),
  };
}

/** The first limit `counts` goes over, if any. */
export function exceededLimit(counts: SendingCounts, limits: SendingLimits): keyof SendingLimits | undefined {
  return KEYS.find((k) => counts[k] > limits[k]);
}

export function presentLimits(defaults: SendingLimits, overrides: LimitOverrides) {
  return { limits: effective(defaults, overrides), overrides, defaults };
}

/** The address of the mailbox with this id (alerts name mailboxes by id), if there is one. */
export async function mailboxAddressById(ctx: ServiceContext, id: string): Promise<string | undefined> {
  const row = await ctx.db('mailboxes').where({ id }).first('address');
  return row?.address;
}

/**
 * Whether mail in the name of these addresses must not leave (the outbound gateway asks it of
 * what Dovecot's Sieve sends: vacation replies, redirects): 'collective' when one is an address
 * of a suspended collective's domain, 'mailbox' when one is a suspended mailbox (or of a
 * suspended domain); undefined for anything else, other platforms' addresses included.
 */
export async function closedSender(
  ctx: ServiceContext,
  addresses: string[],
): Promise<SenderClosed | undefined> {
  const list = [...new Set(addresses.map((a) => a.toLowerCase()).filter((a) => a.lastIndexOf('@') > 0))];
  if (list.length === 0) return undefined;
  const rows: Array<{ collective_suspended: boolean; mailbox_closed: boolean }> = await ctx
    .db('domains as d')
    .join('collectives as c', 'c.id', 'd.collective_id')
    .leftJoin('mailboxes as m', (j) => j.on('m.domain_id', 'd.id').onIn('m.address', list))
    .whereIn(
      'd.name',
      list.map((a) => a.slice(a.lastIndexOf('@') + 1)),
    )
    .select(
      ctx.db.raw('c.suspended_at IS NOT NULL AS collective_suspended'),
      ctx.db.raw(`(d.status = 'suspended' OR m.status = 'disabled') IS TRUE AS mailbox_closed`),
    );
  if (rows.some((r) => r.collective_suspended)) return 'collective';
  if (rows.some((r) => r.mailbox_closed)) return 'mailbox';
  return undefined;
}
