import knex from 'knex';
import { startEmbeddedPostgres, temporaryClusterDir } from '../../src/db/embedded';
import { migrateLatest } from '../../src/db/knex';
import { withDatabase } from './database-url';

/**
 * One PostgreSQL for the whole run: the embedded one, or the server named by DATABASE_URL.
 * A migrated template database is made once; each test file clones it (tests/support/db.ts).
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const { dir, clusterDir } = temporaryClusterDir('giroflee-test-pg-');
    const pg = await startEmbeddedPostgres(clusterDir, { database: 'postgres_admin', throwAway: true });
    (globalThis as Record<string, unknown>).__GIROFLEE_PG__ = { pg, dir };
    adminUrl = pg.url;
  }
  const admin = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  await admin.raw('DROP DATABASE IF EXISTS giroflee_template');
  await admin.raw('CREATE DATABASE giroflee_template');
  await admin.destroy();
  const templateUrl = withDatabase(adminUrl, 'giroflee_template');
  const template = knex({ client: 'pg', connection: templateUrl, pool: { min: 0, max: 1 } });
  await migrateLatest(template);
  await template.destroy();
  process.env.GIROFLEE_TEST_PG_URL = adminUrl;
  process.env.NODE_ENV = 'test';
}
