/**
 * The bench's DNS servers, in a process of their own (as a real nameserver would be): a
 * "recursive" view on 127.0.0.1 and an authoritative one on 127.0.0.2, sharing one port.
 * Reads the records from the JSON file named on the command line; reports its port over IPC.
 */
import fs from 'node:fs';
import type { DnsRecord } from '../../src/dns/resolver';
import { staticLookup, startZoneServer, ZoneServer } from '../../src/dns/zone-server';

async function main(): Promise<void> {
  const { recursive, auth } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as {
    recursive: DnsRecord[];
    auth: DnsRecord[];
  };
  const views = { '127.0.0.1': staticLookup(recursive), '127.0.0.2': staticLookup(auth) };
  for (let attempt = 0; attempt < 30; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const started: ZoneServer[] = [];
    try {
      for (const [host, lookup] of Object.entries(views))
        started.push(await startZoneServer({ host, port }, lookup));
      process.send?.({ port });
      process.on(
        'disconnect',
        () => void Promise.all(started.map((s) => s.stop())).then(() => process.exit(0)),
      );
      return;
    } catch {
      await Promise.all(started.map((s) => s.stop()));
    }
  }
  throw new Error('no free port');
}

void main();
