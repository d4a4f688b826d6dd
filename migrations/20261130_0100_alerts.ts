import type { Knex } from 'knex';

/**
 * Alerts to the racines, one row per condition (`kind` and what it is about). The row is the
 * deduplication shared by every giroflee copy: only the copy whose write turns the condition on
 * (or off) has something to announce, and `told` records what each channel last heard, so a
 * copy that dies mid-delivery leaves the rest to the next one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE alerts (
      key text PRIMARY KEY CONSTRAINT alerts_key_length CHECK (char_length(key) BETWEEN 1 AND 300),
      kind text NOT NULL CONSTRAINT alerts_kind_format CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$'),
      subject text NOT NULL DEFAULT '',
      severity text NOT NULL CONSTRAINT alerts_severity CHECK (severity IN ('warning', 'critical')),
      state text NOT NULL CONSTRAINT alerts_state CHECK (state IN ('firing', 'resolved')),
      title jsonb NOT NULL,
      text jsonb NOT NULL,
      resolution jsonb,
      raised_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      resolved_at timestamptz,
      -- Bumped by every change of state; a delivery finishes only for the version it announced.
      version integer NOT NULL DEFAULT 1,
      -- What each channel was last told: {"email": "firing", "webhook": "resolved"}.
      told jsonb NOT NULL DEFAULT '{}'::jsonb,
      delivered boolean NOT NULL DEFAULT false,
      -- A copy delivering holds the row until then; after a failure, the next try waits until retry_at.
      claimed_until timestamptz,
      retry_at timestamptz,
      attempts integer NOT NULL DEFAULT 0
    );
    CREATE INDEX alerts_undelivered ON alerts (retry_at) WHERE NOT delivered;
    CREATE INDEX alerts_by_state ON alerts (state, kind);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE alerts');
}
