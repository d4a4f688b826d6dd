import type { Knex } from 'knex';

/**
 * Backups taken by `giroflee backup`: what was written and when, so a missing backup raises an
 * alert. Written once the backup is complete; never any content of it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE backups (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL,
      node text NOT NULL,
      target text NOT NULL CONSTRAINT backups_target CHECK (target IN ('directory', 'stream')),
      database_rows bigint NOT NULL,
      mail_files bigint NOT NULL,
      bytes bigint NOT NULL
    );
    CREATE INDEX backups_finished ON backups (finished_at DESC);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE backups');
}
