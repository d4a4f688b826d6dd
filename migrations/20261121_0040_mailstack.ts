import type { Knex } from 'knex';

/**
 * Secrets the mail stack needs beside the `mta` views, such as the webmail's Dovecot master
 * password: always a master-key envelope, never plaintext.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE mailstack_secrets (
      name text PRIMARY KEY CONSTRAINT mailstack_secrets_name_format CHECK (name ~ '^[a-z][a-z0-9-]{0,62}$'),
      secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE mailstack_secrets');
}
