import type { Knex } from 'knex';

/**
 * Outbound scanning (src/sending): what the compromised-account pattern needs of the mailbox's
 * recent sending. `outbound_scans` holds one row per scanned message of the current window
 * (recipients, new external domains, score), removed once it leaves the window.
 * `outbound_domains` remembers which external domains a mailbox already wrote to, as a digest
 * of mailbox and domain (never the domain in clear: the server can confirm a guess, not list a
 * mailbox's correspondents), forgotten 90 days after the last message to them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE outbound_scans (
      mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
      scanned_at timestamptz NOT NULL,
      recipients integer NOT NULL,
      new_domains integer NOT NULL,
      score real NOT NULL
    );
    CREATE INDEX outbound_scans_mailbox ON outbound_scans (mailbox_id, scanned_at);
    CREATE TABLE outbound_domains (
      mailbox_id uuid NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
      digest bytea NOT NULL,
      last_sent_at timestamptz NOT NULL,
      PRIMARY KEY (mailbox_id, digest)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE outbound_domains; DROP TABLE outbound_scans');
}
