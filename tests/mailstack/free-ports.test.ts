import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { CLAIM_MS, claimPort, freeLoopbackPorts, freeMailstackPorts } from '../../src/mailstack/free-ports';
import { DEFAULT_PORTS } from '../../src/mailstack/settings';

const ephemeralLow = Number(
  fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
);

async function listenTcp(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function bindUdp(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

describe('freeLoopbackPorts', () => {
  it('hands out distinct ports, below the ephemeral range, that TCP and UDP can bind', async () => {
    const ports = await freeLoopbackPorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(ephemeralLow);
      const tcp = await listenTcp(port);
      const udp = await bindUdp(port);
      await new Promise((r) => tcp.close(r));
      await new Promise<void>((r) => udp.close(() => r()));
    }
  });

  it('never gives the same port to two callers asking at the same time', async () => {
    // Every caller starts its search at the same port: only the claims keep them apart.
    const start = jest.spyOn(crypto, 'randomInt').mockImplementation(() => 1234);
    try {
      const sets = await Promise.all(Array.from({ length: 4 }, () => freeLoopbackPorts(10)));
      expect(new Set(sets.flat()).size).toBe(40);
    } finally {
      start.mockRestore();
    }
  });
});

describe('claimPort', () => {
  // A port below the range handed out and a time long past: no real claim can meet these.
  const port = 19_999;
  const past = Date.now() - 100 * CLAIM_MS;

  it('lets one claimer have a port for one period and the next, then lets it go', () => {
    expect(claimPort(port, past)).toBe(true);
    expect(claimPort(port, past)).toBe(false);
    expect(claimPort(port, past + CLAIM_MS)).toBe(false);
    expect(claimPort(port, past + 2 * CLAIM_MS)).toBe(true);
  });
});

describe('freeMailstackPorts', () => {
  it('gives a stack none of the default ports', async () => {
    const ports = Object.values(await freeMailstackPorts());
    expect(ports).toHaveLength(Object.keys(DEFAULT_PORTS).length);
    for (const port of Object.values(DEFAULT_PORTS)) expect(ports).not.toContain(port);
  });
});
