import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PORTS, type MailstackPorts } from './settings';

/**
 * Free loopback ports for the private stacks that share a machine (parallel test workers, other
 * people's test runs, benches). A port found free is only free until someone binds it, and
 * Postfix, Dovecot or rspamd bind theirs seconds (rspamd: minutes) after it was chosen. Two
 * things keep that window safe:
 * - ports come from below the kernel's ephemeral range, so no `listen(0)` and no outgoing
 *   connection of any process takes one meanwhile (a port picked with `listen(0)` and closed
 *   goes back to that pool at once);
 * - each chosen port is claimed in a folder every giroflee process on the machine reads, so
 *   another test worker or run passes it by. A claim lasts CLAIM_MS to 2 × CLAIM_MS, longer
 *   than any daemon takes to bind; after that, a port still in use fails the bind probe.
 */

/** Where claims live: the same folder for every process of this machine. */
export const PORT_CLAIMS_DIR = path.join(os.tmpdir(), 'giroflee-port-claims');

// Longer than the slowest bind (rspamd's, bounded at 3 minutes); short, since every run on the
// machine draws from the same 12 000 ports.
export const CLAIM_MS = 5 * 60_000;
/** The lowest port handed out: above every default port of giroflee's stacks and fakes. */
const LOWEST = 20_000;

/** The first port of the kernel's ephemeral range (Linux), or the usual one elsewhere. */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
    if (Number.isInteger(low) && low > LOWEST + 1000) return low;
  } catch {
    // Not Linux: the IANA dynamic range starts at 49152; 32768 is lower and safe on both.
  }
  return 32_768;
}

let folderReady = false;
function claimsFolder(): void {
  if (folderReady) return;
  // Shared by every user's runs, as /tmp is.
  if (fs.mkdirSync(PORT_CLAIMS_DIR, { recursive: true })) fs.chmodSync(PORT_CLAIMS_DIR, 0o1777);
  folderReady = true;
}

/**
 * A claim is a file named `<port>.<period>`: creating it is atomic (O_EXCL), and it counts for
 * its period and the next. A claimer creates its file, then gives the port up when the previous
 * or the next period holds a claim too (made just before, or by a process whose clock read
 * fell on the other side of a period boundary): of two racing claimers, at most one keeps it.
 */
export function claimPort(port: number, now = Date.now()): boolean {
  claimsFolder();
  const period = Math.floor(now / CLAIM_MS);
  const file = (p: number) => path.join(PORT_CLAIMS_DIR, `${port}.${p}`);
  try {
    fs.writeFileSync(file(period), String(process.pid), { flag: 'wx' });
  } catch {
    return false;
  }
  if (fs.existsSync(file(period - 1)) || fs.existsSync(file(period + 1))) {
    fs.rmSync(file(period), { force: true });
    return false;
  }
  return true;
}

/** Removes claims that no longer count, so the folder stays small. */
function sweep(now: number): void {
  const period = Math.floor(now / CLAIM_MS);
  for (const name of fs.readdirSync(PORT_CLAIMS_DIR)) {
    const claimed = Number(name.split('.')[1]);
    if (Number.isInteger(claimed) && claimed < period - 1) {
      fs.rmSync(path.join(PORT_CLAIMS_DIR, name), { force: true });
    }
  }
}

/** Whether nothing holds `port` on loopback, in TCP (the daemons) and UDP (rspamd's fuzzy storage). */
async function bindable(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** `n` distinct free loopback ports, claimed for this process (see above). */
export async function freeLoopbackPorts(n: number): Promise<number[]> {
  claimsFolder();
  sweep(Date.now());
  const span = ephemeralLow() - LOWEST;
  // A random start spreads concurrent claimers over the range, so they seldom meet.
  const start = crypto.randomInt(span);
  const ports: number[] = [];
  for (let i = 0; i < span && ports.length < n; i++) {
    const port = LOWEST + ((start + i) % span);
    if (claimPort(port) && (await bindable(port))) ports.push(port);
  }
  if (ports.length < n) throw new Error(`only ${ports.length} of ${n} free loopback ports found`);
  return ports;
}

/** Every port of a private stack, free on loopback: none of the defaults, other stacks may be up. */
export async function freeMailstackPorts(): Promise<Required<MailstackPorts>> {
  const names = Object.keys(DEFAULT_PORTS) as Array<keyof MailstackPorts>;
  const ports = await freeLoopbackPorts(names.length);
  return Object.fromEntries(names.map((name, i) => [name, ports[i]])) as Required<MailstackPorts>;
}
