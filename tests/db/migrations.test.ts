import { migrateLatest, migrateRollbackAll, migrationsCurrent } from '../../src/db/knex';
import { createTestDatabase } from '../support/db';

describe('migrations', () => {
  it('roll back completely and apply again', async () => {
    const t = await createTestDatabase();
    try {
      expect(await migrationsCurrent(t.db)).toBe(true);
      await migrateRollbackAll(t.db);
      expect(await migrationsCurrent(t.db)).toBe(false);
      const { rows } = await t.db.raw(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'mailboxes'`,
      );
      expect(rows[0].n).toBe(0);
      await migrateLatest(t.db);
      expect(await migrationsCurrent(t.db)).toBe(true);
    } finally {
      await t.destroy();
    }
  });
});
