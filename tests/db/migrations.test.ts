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

  it('waits for another copy holding the migration lock, instead of failing', async () => {
    const t = await createTestDatabase();
    try {
      await t.db('knex_migrations_lock').update({ is_locked: 1 });
      let settled = false;
      const migrating = migrateLatest(t.db).finally(() => (settled = true));
      // The other copy is still migrating: nothing settles while its lock is held.
      await new Promise((r) => setTimeout(r, 1000));
      expect(settled).toBe(false);
      await t.db('knex_migrations_lock').update({ is_locked: 0 });
      await expect(migrating).resolves.toEqual([]);
    } finally {
      await t.destroy();
    }
  });
});
