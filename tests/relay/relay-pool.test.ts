import nodemailer from 'nodemailer';
import type { Actor } from '../../src/auth/actor';
import { CircuitBreakers } from '../../src/relay/circuit-breaker';
import { dns2DnsblQuery, dnsblName } from '../../src/relay/dnsbl';
import { startOutboundGateway } from '../../src/relay/outbound-gateway';
import { probeRelays, type ProbeDeps } from '../../src/relay/probe-relays';
import { createRelay } from '../../src/relay/commands/create-relay';
import { drainRelay } from '../../src/relay/commands/drain-relay';
import { updateRelay } from '../../src/relay/commands/update-relay';
import { RelayTransports } from '../../src/relay/relay-transport';
import { loadRoutingTargets } from '../../src/relay/routing-targets';
import { createTestContext, TestContext } from '../support/context';
import { startWebhookSink, type WebhookSink } from '../support/webhook-sink';
import { startDnsblServer } from './support/dnsbl-server';
import { deadPort, startFakeRelay, type FakeRelay } from './support/fake-relay';

const system: Actor = { type: 'system', label: 'test' };

describe('relay pool from the database', () => {
  let ctx: TestContext;
  let transports: RelayTransports;
  const stops: Array<() => Promise<void>> = [];
  const asSystem = () => ({ ...ctx, actor: system });
  beforeAll(async () => {
    ctx = await createTestContext();
    transports = new RelayTransports({
      reinject: { host: '127.0.0.1', port: await deadPort() },
      heloName: 'mail.giroflee.test',
      connectionTimeoutMs: 5000,
      greetingTimeoutMs: 5000,
      socketTimeoutMs: 10_000,
    });
  });
  afterAll(async () => {
    transports.close();
    for (const stop of stops.reverse()) await stop();
    await ctx.destroy();
  });
  async function relay(users?: Record<string, string>): Promise<FakeRelay> {
    const r = await startFakeRelay({ users });
    stops.push(r.stop);
    return r;
  }
  const smarthost = (name: string, port: number, extra: Record<string, unknown> = {}) => ({
    kind: 'smarthost' as const,
    name,
    host: '127.0.0.1',
    port,
    tlsMode: 'none' as const,
    priority: 100,
    role: 'primary' as const,
    sendingIps: [],
    ...extra,
  });

  describe('routing', () => {
    afterEach(async () => {
      await ctx.db('relays').delete();
    });

    it('orders healthy primaries by priority, then fallbacks, then relays probed down; never draining or disabled', async () => {
      for (const r of [
        smarthost('p-20', 1, { priority: 20 }),
        smarthost('p-10', 2, { priority: 10 }),
        smarthost('p-down', 3, { priority: 1 }),
        smarthost('fb', 4, { role: 'fallback', priority: 1 }),
        smarthost('drained', 5, { priority: 0 }),
        smarthost('off', 6, { priority: 0 }),
      ])
        await createRelay(asSystem(), r);
      await ctx.db('relays').where({ name: 'p-down' }).update({ health_status: 'down' });
      await drainRelay(asSystem(), 'drained');
      await updateRelay(asSystem(), 'off', { state: 'disabled' });
      const order = (await loadRoutingTargets(ctx)).map((t) => t.name);
      expect(order).toEqual(['p-10', 'p-20', 'fb', 'p-down']);
    });

    it('sends no traffic to a drained relay, and unwraps credentials for the one it uses', async () => {
      const drained = await relay();
      const other = await relay({ relayuser: 'pw-1' });
      await createRelay(asSystem(), smarthost('first', drained.port, { priority: 1 }));
      await createRelay(
        asSystem(),
        smarthost('second', other.port, { priority: 2, username: 'relayuser', password: 'pw-1' }),
      );
      await drainRelay(asSystem(), 'first');
      const gateway = await startOutboundGateway({
        listen: { host: '127.0.0.1', port: 0 },
        loadRelays: () => loadRoutingTargets(ctx),
        signingKeys: async () => [],
        // No signing keys here, so no From to hold to its sender.
        sameSenderOwner: async () => false,
        send: (r, envelope, message) => transports.send(r, envelope, message),
        breakers: new CircuitBreakers({ failureThreshold: 3, coolDownMs: 60_000, now: ctx.now }),
        now: ctx.now,
        hostname: 'mail.giroflee.test',
        maxMessageBytes: 1024 * 1024,
      });
      stops.push(gateway.stop);
      const client = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.port, ignoreTLS: true });
      const info = await client.sendMail({
        envelope: { from: 'a@hosted.example', to: ['b@remote.example'] },
        raw: 'From: a@hosted.example\r\nTo: b@remote.example\r\nSubject: x\r\n\r\nbody\r\n',
      });
      client.close();
      expect(info.response).toMatch(/^250 .*second/);
      expect(drained.connections).toBe(0);
      expect(other.received).toHaveLength(1);
    });
  });

  describe('health probe', () => {
    const listed = new Set<string>();
    let dnsbl: { port: number; stop(): Promise<void> };
    let sink: WebhookSink;
    let deps: ProbeDeps;
    /** The first line of each webhook message since the last call: what the racines read. */
    const told = () => sink.received.splice(0).map((r) => r.body.text.split('\n')[0]);
    const users = { relayuser: 'pw-ok' };
    let tick = 0;

    beforeAll(async () => {
      dnsbl = await startDnsblServer(listed);
      stops.push(dnsbl.stop);
      listed.add(dnsblName('192.0.2.66', 'bl.test'));
      const good = await relay(users);
      const blacklisted = await relay();
      await createRelay(
        asSystem(),
        smarthost('good', good.port, {
          username: 'relayuser',
          password: 'pw-ok',
          sendingIps: ['192.0.2.10'],
        }),
      );
      await createRelay(asSystem(), smarthost('dead', await deadPort()));
      await createRelay(
        asSystem(),
        smarthost('listed', blacklisted.port, { sendingIps: ['192.0.2.66', '2001:db8::1'] }),
      );
      await createRelay(asSystem(), smarthost('off', await deadPort()));
      await updateRelay(asSystem(), 'off', { state: 'disabled' });
      sink = await startWebhookSink();
      stops.push(sink.close);
      ctx.config = { ...ctx.config, alerts: { email: false, emailTo: [], webhook: sink.url } };
      deps = {
        verify: (t) => transports.verify(t),
        dnsbl: dns2DnsblQuery([{ host: '127.0.0.1', port: dnsbl.port }], 2000),
        zones: ['bl.test'],
        clock: () => (tick += 7),
      };
    });

    it('stores status, latency and DNSBL listings, and alerts on a relay down and on one listed', async () => {
      const results = await probeRelays(ctx, deps);
      expect(results?.map((r) => [r.name, r.status])).toEqual([
        ['dead', 'down'],
        ['good', 'up'],
        ['listed', 'down'],
      ]);
      const rows = await ctx.db('relays').orderBy('name');
      const byName = Object.fromEntries(rows.map((r: any) => [r.name, r]));
      expect(byName.good).toMatchObject({ health_status: 'up', health_latency_ms: 7, health_error: null });
      expect(byName.good.health_checked_at.toISOString()).toBe(ctx.now().toISOString());
      expect(byName.dead.health_error).toMatch(/ECONNREFUSED/);
      expect(byName.listed.dnsbl_listings).toEqual([
        { ip: '192.0.2.66', zone: 'bl.test', answer: '127.0.0.2' },
      ]);
      expect(byName.listed.health_error).toContain('192.0.2.66 in bl.test');
      expect(byName.off.health_status).toBe('unknown');
      expect(told()).toEqual([
        expect.stringContaining('Alerte : Relais dead en panne'),
        expect.stringContaining('Alerte : Relais listed sur liste noire'),
      ]);
    });

    it('alerts again only on a change, resolves, and says when no relay works any more', async () => {
      await probeRelays(ctx, deps);
      expect(told()).toEqual([]);

      users.relayuser = 'rotated-remotely';
      await probeRelays(ctx, deps);
      expect((await ctx.db('relays').where({ name: 'good' }).first()).health_error).toMatch(/EAUTH/);
      expect(told()).toEqual([
        expect.stringContaining('Alerte : Relais good en panne'),
        expect.stringContaining('Alerte : Aucun relais sortant ne fonctionne'),
      ]);

      users.relayuser = 'pw-ok';
      await probeRelays(ctx, deps);
      expect(told()).toEqual([
        expect.stringContaining('Résolu : Relais good en panne'),
        expect.stringContaining('Résolu : Aucun relais sortant ne fonctionne'),
      ]);
    });

    it('lets only one copy probe at a time (advisory lock)', async () => {
      await ctx.db.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(?)', [0x67_69_72_6f]);
        expect(await probeRelays(ctx, deps)).toBeUndefined();
      });
      expect(await probeRelays(ctx, deps)).toHaveLength(3);
    });
  });
});
