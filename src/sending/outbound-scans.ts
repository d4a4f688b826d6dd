import { createHash } from 'node:crypto';
import type { ServiceContext } from '../context';

/**
 * What the compromised-account pattern remembers of a mailbox's sending: the one module that
 * writes `outbound_scans` and `outbound_domains`.
 */

/** How long a correspondent's domain stays "known" after the last message to it. */
const DOMAIN_MEMORY_MS = 90 * 24 * 3600_000;

/** A mailbox's sending within the window, this message included. */
export interface WindowTotals {
  recipients: number;
  newDomains: number;
  highScores: number;
}

/** Digest of mailbox and domain: enough to recognise a domain again, not to list them. */
const domainDigest = (mailboxId: string, domain: string) =>
  createHash('sha256').update(`${mailboxId}\0${domain}`).digest().subarray(0, 16).toString('hex');

/** The recipients' domains that no hosted domain answers for, lowercased, once each. */
export async function externalDomains(ctx: ServiceContext, recipients: string[]): Promise<string[]> {
  const domains = [...new Set(recipients.map((r) => r.slice(r.lastIndexOf('@') + 1).toLowerCase()))].filter(
    Boolean,
  );
  if (domains.length === 0) return [];
  const hosted = new Set(
    (await ctx.db('domains').whereIn('name', domains).pluck('name')).map((n: string) => n.toLowerCase()),
  );
  return domains.filter((d) => !hosted.has(d));
}

/**
 * Records one scanned message (its recipients, its external domains, its score) and returns the
 * mailbox's totals over the window. A domain is new when the mailbox did not write to it in the
 * last 90 days. Rows that left the window, and domains not written to for 90 days, are removed on
 * the way.
 */
export async function recordScan(
  ctx: ServiceContext,
  scan: {
    mailboxId: string;
    recipients: number;
    domains: string[];
    score: number;
    highScore: number;
    windowMs: number;
  },
): Promise<WindowTotals> {
  const now = ctx.now();
  const since = new Date(now.getTime() - scan.windowMs);
  let newDomains = 0;
  if (scan.domains.length > 0) {
    const { rows } = await ctx.db.raw(
      `INSERT INTO outbound_domains AS o (mailbox_id, digest, last_sent_at)
       SELECT ?, decode(d, 'hex'), ? FROM unnest(?::text[]) AS d
       ON CONFLICT (mailbox_id, digest) DO UPDATE SET last_sent_at = EXCLUDED.last_sent_at
       -- xmax = 0 only for a row this statement inserted: a domain not known before.
       RETURNING (xmax = 0) AS inserted`,
      [scan.mailboxId, now, scan.domains.map((d) => domainDigest(scan.mailboxId, d))],
    );
    newDomains = rows.filter((r: { inserted: boolean }) => r.inserted).length;
  }
  await ctx.db('outbound_scans').insert({
    mailbox_id: scan.mailboxId,
    scanned_at: now,
    recipients: scan.recipients,
    new_domains: newDomains,
    score: scan.score,
  });
  await ctx
    .db('outbound_scans')
    .where({ mailbox_id: scan.mailboxId })
    .andWhere('scanned_at', '<', since)
    .delete();
  await ctx
    .db('outbound_domains')
    .where({ mailbox_id: scan.mailboxId })
    .andWhere('last_sent_at', '<', new Date(now.getTime() - DOMAIN_MEMORY_MS))
    .delete();
  const totals = await ctx
    .db('outbound_scans')
    .where({ mailbox_id: scan.mailboxId })
    .andWhere('scanned_at', '>=', since)
    .first(
      ctx.db.raw('coalesce(sum(recipients), 0) AS recipients'),
      ctx.db.raw('coalesce(sum(new_domains), 0) AS new_domains'),
      ctx.db.raw('count(*) FILTER (WHERE score >= ?) AS high_scores', [scan.highScore]),
    );
  return {
    recipients: Number(totals.recipients),
    newDomains: Number(totals.new_domains),
    highScores: Number(totals.high_scores),
  };
}
