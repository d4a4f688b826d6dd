import * as openpgp from 'openpgp';
import type { Db } from '../db/knex';

/** What the gateway needs to know about one recipient. */
export interface RecipientPolicy {
  mailboxId: string;
  mode: 'generated' | 'public-key' | 'none';
  protectedSubject: boolean;
  /** Usable active keys (not expired); empty means "cannot encrypt". */
  keys: openpgp.PublicKey[];
}

interface Row {
  id: string;
  address: string;
  encryption_mode: RecipientPolicy['mode'];
  protected_subject: boolean;
  fingerprints: string[];
  public_keys: string[];
}

/**
 * Per-recipient key lookups for the gateway: one query for all recipients of a message, and a
 * short-lived cache so a burst of mail to one mailbox costs one query. Parsed keys are cached
 * by fingerprint, because parsing a key costs more than encrypting a small message.
 */
export class RecipientKeys {
  private readonly policies = new Map<string, { at: number; policy: RecipientPolicy | null }>();
  private readonly parsed = new Map<string, openpgp.PublicKey>();

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly ttlMs: number,
  ) {}

  /** Policy per lowercase address; null for an address that is no mailbox of ours. */
  async lookup(addresses: string[]): Promise<Map<string, RecipientPolicy | null>> {
    const t = Date.now();
    const out = new Map<string, RecipientPolicy | null>();
    const missing: string[] = [];
    for (const a of new Set(addresses)) {
      const hit = this.policies.get(a);
      if (hit && t - hit.at < this.ttlMs) out.set(a, hit.policy);
      else missing.push(a);
    }
    if (missing.length === 0) return out;
    const { rows } = (await this.db.raw(
      `SELECT m.id, m.address, m.encryption_mode, m.protected_subject,
              coalesce(array_agg(k.fingerprint ORDER BY k.created_at) FILTER (WHERE k.id IS NOT NULL), '{}') AS fingerprints,
              coalesce(array_agg(k.public_key ORDER BY k.created_at) FILTER (WHERE k.id IS NOT NULL), '{}') AS public_keys
         FROM mailboxes m
         -- The same mailboxes Dovecot delivers to (mta.mailboxes): a namesake on another
         -- collective's pending claim must not lend its mode.
         JOIN domains d ON d.id = m.domain_id AND d.status = 'active'
         LEFT JOIN mailbox_keys k ON k.mailbox_id = m.id AND k.state = 'active'
              AND (k.expires_at IS NULL OR k.expires_at > ?)
        WHERE m.address = ANY(?) AND m.status = 'active'
        GROUP BY m.id`,
      [this.now(), missing],
    )) as { rows: Row[] };
    const found = new Map(rows.map((r) => [r.address, r]));
    if (this.policies.size > 10_000) this.policies.clear();
    for (const address of missing) {
      const row = found.get(address);
      const policy = row ? await this.toPolicy(row) : null;
      out.set(address, policy);
      if (this.ttlMs > 0) this.policies.set(address, { at: t, policy });
    }
    return out;
  }

  private async toPolicy(row: Row): Promise<RecipientPolicy> {
    const keys: openpgp.PublicKey[] = [];
    for (let i = 0; i < row.fingerprints.length; i++) {
      let key = this.parsed.get(row.fingerprints[i]);
      if (!key) {
        key = await openpgp.readKey({ armoredKey: row.public_keys[i] });
        if (this.parsed.size > 10_000) this.parsed.clear();
        this.parsed.set(row.fingerprints[i], key);
      }
      keys.push(key);
    }
    return { mailboxId: row.id, mode: row.encryption_mode, protectedSubject: row.protected_subject, keys };
  }
}
