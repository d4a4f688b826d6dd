import type { Knex } from 'knex';

/**
 * One-time links by which a mailbox's owner chooses its first password (src/mailboxes). An admin
 * creates the mailbox without a password and hands the link to the owner; only the SHA-256 of
 * its secret is stored. One row per mailbox: a new link replaces the previous one; once used,
 * the row stays with `used_at`, so a second use is refused with its own answer.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE mailbox_setup_links (
      mailbox_id uuid PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
      token_hash text NOT NULL CONSTRAINT mailbox_setup_links_token_unique UNIQUE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE mailbox_setup_links');
}
