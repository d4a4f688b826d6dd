import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { openDatabase } from '../../src/db/open-database';

describe('openDatabase with the embedded cluster', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-open-db-'));
    fs.chmodSync(dataDir, 0o711);
  });

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('waits for a cluster that is shutting down to end, then starts its own, instead of failing', async () => {
    const pgDir = path.join(dataDir, 'postgres');
    const server = await startEmbeddedPostgres(pgDir);
    // A session kept open holds PostgreSQL's smart shutdown (SIGTERM) in "shutting down": it
    // refuses every new session until this one ends, as a stopped `giroflee serve` does for a moment.
    const lingering = new pg.Client({ connectionString: server.url });
    await lingering.connect();
    const postmaster = Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGTERM');
    await expect(new pg.Client({ connectionString: server.url }).connect()).rejects.toThrow(/shutting down/);

    const config = loadConfig({ NODE_ENV: 'test', GIROFLEE_DATA_DIR: dataDir });
    const opening = openDatabase(config, { min: 0, max: 1 });
    setTimeout(() => void lingering.end(), 500);
    const opened = await opening;
    try {
      const { rows } = await opened.db.raw('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await opened.close();
      await server.stop();
    }
  });
});
