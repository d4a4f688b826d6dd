/**
 * The gateway in its own process for bench/encrypt, so its CPU and memory are measured apart
 * from the load generator and the downstream. Driven over the fork IPC channel: `cpu` answers the
 * process's CPU time so far, `memory` its resident size, `stop` stops it. bench/faults kills and
 * restarts it on the same port (BENCH_LISTEN_PORT).
 */
import { createDb } from '../../src/db/knex';
import { startLmtpGateway } from '../../src/encryption/lmtp-gateway';

async function main(): Promise<void> {
  const db = createDb(process.env.BENCH_DATABASE_URL!, { min: 1, max: 4 });
  const gateway = await startLmtpGateway(db, () => new Date(), {
    listen: { host: '127.0.0.1', port: Number(process.env.BENCH_LISTEN_PORT ?? 0) },
    nextHop: { host: '127.0.0.1', port: Number(process.env.BENCH_NEXT_HOP_PORT) },
    name: 'bench.gateway',
    maxMessageBytes: 128 * 1024 * 1024,
    timeoutMs: Number(process.env.BENCH_GATEWAY_TIMEOUT_MS ?? 120_000),
    nextHopConnections: 4,
    keyCacheMs: 5000,
    // bench/faults/mailbox-turns.ts: the gateway as before one delivery at a time per mailbox.
    parallelPerMailbox: process.env.BENCH_PARALLEL_PER_MAILBOX === '1',
  });
  process.on('message', (m: string) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send!({ cpuMs: (user + system) / 1000 });
    } else if (m === 'memory') {
      process.send!({ rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 });
    } else if (m === 'stop') {
      void gateway.stop().then(() => db.destroy().then(() => process.exit(0)));
    }
  });
  // The bench that drives it is gone (it failed, or was killed): nothing would ever stop it.
  process.once('disconnect', () => process.exit(1));
  process.send!({ port: gateway.port, rss: process.memoryUsage().rss });
}

void main();
