import type { Knex } from 'knex';

/**
 * The webmail's settings for a mailbox (signatures per identity, senders whose remote images
 * load): one opaque blob the browser encrypts to the mailbox's own key before sending it, so the
 * server keeps neither the signatures nor the list of correspondents the owner trusts in clear.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE webmail_preferences (
      mailbox_id uuid PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
      blob text NOT NULL CONSTRAINT webmail_preferences_blob_size CHECK (octet_length(blob) <= 262144),
      updated_at timestamptz NOT NULL
    )
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE webmail_preferences');
}
