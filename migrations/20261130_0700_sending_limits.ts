import type { Knex } from 'knex';

/**
 * Outbound sending limits (src/sending). The platform's defaults live in the configuration; a
 * racine may override them for one collective (`sending_limits`, a NULL keeps the default).
 * `sending_counts` holds one row per mailbox and hour with what it submitted: the hour's row is
 * the hourly count, the last 24 rows the daily one. `sending_suspensions` lists the mailboxes
 * that may not send at all.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE sending_limits (
      collective_id uuid PRIMARY KEY REFERENCES collectives(id) ON DELETE CASCADE,
      hour_messages integer CONSTRAINT sending_limits_hour_messages CHECK (hour_messages >= 0),
      hour_recipients integer CONSTRAINT sending_limits_hour_recipients CHECK (hour_recipients >= 0),
      day_messages integer CONSTRAINT sending_limits_day_messages CHECK (day_messages >= 0),
      day_recipients integer CONSTRAINT sending_limits_day_recipients CHECK (day_recipients >= 0),
      updated_at timestamptz NOT NULL
    );
    CREATE TABLE sending_counts (
      mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
      hour timestamptz NOT NULL,
      messages integer NOT NULL,
      recipients integer NOT NULL,
      PRIMARY KEY (mailbox_id, hour)
    );
    CREATE TABLE sending_suspensions (
      mailbox_id uuid PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
      suspended_at timestamptz NOT NULL
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE sending_suspensions; DROP TABLE sending_counts; DROP TABLE sending_limits');
}
