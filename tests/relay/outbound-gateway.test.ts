import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import { dkimVerify } from 'mailauth';
import { CircuitBreakers } from '../../src/relay/circuit-breaker';
import type { SigningKey } from '../../src/relay/dkim-sign-message';
import { startOutboundGateway, type RunningGateway } from '../../src/relay/outbound-gateway';
import { RelayTransports, type RelayTarget } from '../../src/relay/relay-transport';
import { testClock } from '../support/context';
import { deadPort, startFakeRelay, startSilentServer, type FakeRelay } from './support/fake-relay';

const message = (from = 'alice@hosted.example', subject = 'Bonjour') =>
  [
    `From: Alice <${from}>`,
    'To: bob@remote.example',
    `Subject: ${subject}`,
    'Date: Sat, 21 Nov 2026 10:00:00 +0000',
    `Message-ID: <${crypto.randomUUID()}@hosted.example>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Un message de test.',
    '.leading dot stays',
    '',
  ].join('\r\n');

function target(name: string, port: number, extra: Partial<RelayTarget> = {}): RelayTarget {
  return {
    id: `id-${name}`,
    name,
    kind: 'smarthost',
    host: '127.0.0.1',
    port,
    tlsMode: 'none',
    username: null,
    version: '1',
    ...extra,
  };
}

interface Harness {
  gateway: RunningGateway;
  transports: RelayTransports;
  breakers: CircuitBreakers;
  clock: ReturnType<typeof testClock>;
  relays: RelayTarget[];
  keys: Map<string, SigningKey[]>;
  /** Envelope sender → the other addresses its owner may send as. */
  owners: Map<string, string[]>;
  stop(): Promise<void>;
}

async function harness(
  relays: RelayTarget[],
  opts: { greetingTimeoutMs?: number; reinjectPort?: number } = {},
): Promise<Harness> {
  const clock = testClock();
  const breakers = new CircuitBreakers({ failureThreshold: 2, coolDownMs: 60_000, now: clock.now });
  const transports = new RelayTransports({
    reinject: { host: '127.0.0.1', port: opts.reinjectPort ?? (await deadPort()) },
    heloName: 'mail.giroflee.test',
    connectionTimeoutMs: 5000,
    greetingTimeoutMs: opts.greetingTimeoutMs ?? 5000,
    socketTimeoutMs: 10_000,
  });
  const keys = new Map<string, SigningKey[]>();
  const h: Harness = {
    relays,
    keys,
    owners: new Map(),
    clock,
    breakers,
    transports,
    gateway: await startOutboundGateway({
      listen: { host: '127.0.0.1', port: 0 },
      loadRelays: async () => h.relays,
      signingKeys: async (domain) => keys.get(domain) ?? [],
      sameSenderOwner: async (envelopeSender, from) => h.owners.get(envelopeSender)?.includes(from) ?? false,
      send: (relay, envelope, msg) => transports.send(relay, envelope, msg),
      breakers,
      now: clock.now,
      hostname: 'mail.giroflee.test',
      maxMessageBytes: 1024 * 1024,
    }),
    async stop() {
      transports.close();
      await h.gateway.stop();
    },
  };
  return h;
}

/** Postfix's side: one SMTP transaction to the gateway; the reply code and text. */
async function submit(
  port: number,
  to: string[] = ['bob@remote.example'],
  raw = message(),
): Promise<{ code: number; text: string }> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, logger: false });
  try {
    const info = await t.sendMail({ envelope: { from: 'alice@hosted.example', to }, raw });
    return { code: Number(info.response.slice(0, 3)), text: info.response };
  } catch (e) {
    const err = e as { responseCode?: number; response?: string; message: string };
    return { code: err.responseCode ?? 0, text: err.response ?? err.message };
  } finally {
    t.close();
  }
}

describe('outbound gateway', () => {
  const started: Array<{ stop(): Promise<void> }> = [];
  afterEach(async () => {
    for (const s of started.splice(0).reverse()) await s.stop();
  });
  async function relay(users?: Record<string, string>): Promise<FakeRelay> {
    const r = await startFakeRelay({ users });
    started.push(r);
    return r;
  }
  async function gatewayFor(
    relays: RelayTarget[],
    opts?: { greetingTimeoutMs?: number; reinjectPort?: number },
  ) {
    const h = await harness(relays, opts);
    started.push(h);
    return h;
  }

  it('relays through the primary and answers 250 once it accepted, the message unchanged', async () => {
    const primary = await relay();
    const fallback = await relay();
    const h = await gatewayFor([target('primary', primary.port), target('fallback', fallback.port)]);
    const res = await submit(h.gateway.port, ['bob@remote.example', 'carol@remote.example']);
    expect(res.code).toBe(250);
    expect(primary.received).toHaveLength(1);
    expect(primary.received[0].to).toEqual(['bob@remote.example', 'carol@remote.example']);
    expect(primary.received[0].raw).toContain('Subject: Bonjour');
    expect(primary.received[0].raw).toContain('\r\n.leading dot stays\r\n');
    expect(primary.received[0].raw).not.toContain('DKIM-Signature');
    expect(fallback.received).toHaveLength(0);
  });

  it('hands mail back to Postfix on the reinjection port for a direct relay', async () => {
    const postfixReinject = await relay();
    const h = await gatewayFor([target('mx', 1, { kind: 'direct', host: null, port: null })], {
      reinjectPort: postfixReinject.port,
    });
    const res = await submit(h.gateway.port);
    expect(res.code).toBe(250);
    expect(postfixReinject.received).toHaveLength(1);
  });

  it('authenticates to a smarthost with its credentials', async () => {
    const primary = await relay({ relayuser: 's3cret' });
    const h = await gatewayFor([
      target('primary', primary.port, { username: 'relayuser', password: 's3cret' }),
    ]);
    expect((await submit(h.gateway.port)).code).toBe(250);
    expect(primary.received).toHaveLength(1);
  });

  it.each([
    ['refuses the connection', 'dead'],
    ['answers DATA with 4xx', '4xx'],
    ['refuses our credentials', 'auth'],
  ])('goes on to the fallback when the primary %s', async (_label, failure) => {
    const fallback = await relay();
    let primaryTarget: RelayTarget;
    if (failure === 'dead') primaryTarget = target('primary', await deadPort());
    else if (failure === 'auth') {
      const p = await relay({ relayuser: 'right' });
      primaryTarget = target('primary', p.port, { username: 'relayuser', password: 'wrong' });
    } else {
      const p = await relay();
      p.dataReply = [451, '4.3.0 try later'];
      primaryTarget = target('primary', p.port);
    }
    const h = await gatewayFor([primaryTarget, target('fallback', fallback.port)]);
    const res = await submit(h.gateway.port);
    expect(res.code).toBe(250);
    expect(res.text).toContain('fallback');
    expect(fallback.received).toHaveLength(1);
  });

  it('goes on to the fallback when the primary hangs without greeting', async () => {
    const silent = await startSilentServer();
    started.push(silent);
    const fallback = await relay();
    // The timeout applies to the fallback's greeting too: long enough for a loaded machine.
    const h = await gatewayFor([target('primary', silent.port), target('fallback', fallback.port)], {
      greetingTimeoutMs: 2000,
    });
    expect((await submit(h.gateway.port)).code).toBe(250);
    expect(fallback.received).toHaveLength(1);
  });

  it('answers 451 when every relay failed, and no relay holds the message', async () => {
    const busy = await relay();
    busy.dataReply = [452, '4.3.1 insufficient storage'];
    const h = await gatewayFor([target('primary', await deadPort()), target('fallback', busy.port)]);
    const res = await submit(h.gateway.port);
    expect(res.code).toBe(451);
    expect(res.text).toMatch(/^451 4\.4\.1 /);
    expect(busy.received).toHaveLength(0);
  });

  it('answers 451 when no relay is configured', async () => {
    const h = await gatewayFor([]);
    expect((await submit(h.gateway.port)).code).toBe(451);
  });

  it('answers a relay 5xx with a 5xx carrying the relay text, without trying the fallback', async () => {
    const primary = await relay();
    primary.dataReply = [554, '5.7.1 message content rejected'];
    const fallback = await relay();
    const h = await gatewayFor([target('primary', primary.port), target('fallback', fallback.port)]);
    const res = await submit(h.gateway.port);
    expect(res.code).toBe(554);
    expect(res.text).toContain('5.7.1');
    expect(res.text).toContain('message content rejected');
    expect(fallback.received).toHaveLength(0);
  });

  it('sends a recipient the primary defers with 4xx on to the fallback, alone', async () => {
    const primary = await relay();
    primary.refuse.set('carol@remote.example', [450, '4.2.1 mailbox busy']);
    const fallback = await relay();
    const h = await gatewayFor([target('primary', primary.port), target('fallback', fallback.port)]);
    const res = await submit(h.gateway.port, ['bob@remote.example', 'carol@remote.example']);
    expect(res.code).toBe(250);
    expect(primary.received[0].to).toEqual(['bob@remote.example']);
    expect(fallback.received[0].to).toEqual(['carol@remote.example']);
  });

  it('answers a 5xx naming the recipient a relay refused for good', async () => {
    const primary = await relay();
    primary.refuse.set('nobody@remote.example', [550, '5.1.1 no such user']);
    const h = await gatewayFor([target('primary', primary.port)]);
    const res = await submit(h.gateway.port, ['nobody@remote.example']);
    expect(res.code).toBe(550);
    expect(res.text).toContain('5.1.1');
    expect(res.text).toContain('no such user');
  });

  it('defers (451) a mixed transaction where one recipient is still temporarily refused everywhere', async () => {
    const primary = await relay();
    primary.refuse.set('carol@remote.example', [450, '4.2.1 mailbox busy']);
    const h = await gatewayFor([target('primary', primary.port)]);
    const res = await submit(h.gateway.port, ['bob@remote.example', 'carol@remote.example']);
    expect(res.code).toBe(451);
    expect(res.text).toContain('mailbox busy');
  });

  it('opens the breaker after repeated failures, skips the dead relay, then probes it again after the cool-down', async () => {
    const flaky = await relay();
    flaky.dataReply = [421, '4.3.2 shutting down'];
    const fallback = await relay();
    const h = await gatewayFor([target('flaky', flaky.port), target('fallback', fallback.port)]);
    await submit(h.gateway.port);
    await submit(h.gateway.port);
    const connectionsWhenOpen = flaky.connections;
    expect(h.breakers.state('id-flaky')).toBe('open');
    await submit(h.gateway.port);
    await submit(h.gateway.port);
    expect(flaky.connections).toBe(connectionsWhenOpen);
    expect(fallback.received).toHaveLength(4);

    flaky.dataReply = null;
    h.clock.advance(60_000);
    expect(h.breakers.state('id-flaky')).toBe('half-open');
    expect((await submit(h.gateway.port)).text).toContain('flaky');
    expect(h.breakers.state('id-flaky')).toBe('closed');
    expect(flaky.received).toHaveLength(1);
    expect(fallback.received).toHaveLength(4);
  });

  describe('DKIM', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ed = crypto.generateKeyPairSync('ed25519');
    const rsaP = rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const edSpki = ed.publicKey.export({ type: 'spki', format: 'der' });
    // RFC 8463 §4.2: p= is the raw 32-byte key.
    const edP = edSpki.subarray(edSpki.length - 32).toString('base64');
    const zone: Record<string, string> = {
      'giroflee1._domainkey.hosted.example': `v=DKIM1; k=rsa; p=${rsaP}`,
      'giroflee1e._domainkey.hosted.example': `v=DKIM1; k=ed25519; p=${edP}`,
    };
    // An injected resolver serving the public keys: no DNS packet leaves the test.
    const resolver = async (name: string, rrtype: string) => {
      const txt = zone[name.toLowerCase()];
      if (rrtype !== 'TXT' || !txt) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return [[txt]];
    };
    const pem = (k: crypto.KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

    it('signs mail of a hosted domain with RSA and Ed25519, and both signatures verify', async () => {
      const primary = await relay();
      const h = await gatewayFor([target('primary', primary.port)]);
      h.keys.set('hosted.example', [
        {
          domain: 'hosted.example',
          selector: 'giroflee1',
          algorithm: 'rsa-sha256',
          privateKeyPem: pem(rsa.privateKey),
        },
        {
          domain: 'hosted.example',
          selector: 'giroflee1e',
          algorithm: 'ed25519-sha256',
          privateKeyPem: pem(ed.privateKey),
        },
      ]);
      expect((await submit(h.gateway.port)).code).toBe(250);
      const raw = primary.received[0].raw;
      expect(raw.match(/^DKIM-Signature:/gm)).toHaveLength(2);
      expect(raw).toMatch(/a=rsa-sha256;/);
      expect(raw).toMatch(/a=ed25519-sha256;/);
      const verdict = await dkimVerify(Buffer.from(raw), { resolver, curTime: h.clock.now() });
      const results = verdict.results.map((r) => [r.signingDomain, r.status.result, r.selector]);
      expect(results).toEqual(
        expect.arrayContaining([
          ['hosted.example', 'pass', 'giroflee1'],
          ['hosted.example', 'pass', 'giroflee1e'],
        ]),
      );
    });

    it('leaves mail of a domain it does not host unsigned', async () => {
      const primary = await relay();
      const h = await gatewayFor([target('primary', primary.port)]);
      h.keys.set('hosted.example', [
        {
          domain: 'hosted.example',
          selector: 'giroflee1',
          algorithm: 'rsa-sha256',
          privateKeyPem: pem(rsa.privateKey),
        },
      ]);
      expect((await submit(h.gateway.port, undefined, message('eve@elsewhere.example'))).code).toBe(250);
      expect(primary.received[0].raw).not.toContain('DKIM-Signature');
    });

    const rsaKey = (domain: string): SigningKey => ({
      domain,
      selector: 'giroflee1',
      algorithm: 'rsa-sha256',
      privateKeyPem: pem(rsa.privateKey),
    });

    it('refuses (5.7.1) to sign for a hosted domain whose From the envelope sender may not use, and relays nothing', async () => {
      const primary = await relay();
      const h = await gatewayFor([target('primary', primary.port)]);
      h.keys.set('hosted.example', [rsaKey('hosted.example')]);
      h.keys.set('other-collective.example', [rsaKey('other-collective.example')]);
      const res = await submit(h.gateway.port, undefined, message('ceo@other-collective.example'));
      expect(res.code).toBe(550);
      expect(res.text).toContain('5.7.1');
      expect(primary.received).toHaveLength(0);
    });

    it('signs a From that the owner of the envelope sender may use (an alias of hers)', async () => {
      const primary = await relay();
      const h = await gatewayFor([target('primary', primary.port)]);
      h.keys.set('hosted.example', [rsaKey('hosted.example')]);
      h.owners.set('alice@hosted.example', ['contact@hosted.example']);
      expect((await submit(h.gateway.port, undefined, message('contact@hosted.example'))).code).toBe(250);
      expect(primary.received[0].raw).toMatch(/^DKIM-Signature:/m);
      expect(primary.received[0].raw).toMatch(/\bd=hosted\.example;/);
    });

    it('defers (451) rather than send unsigned when signing fails', async () => {
      const primary = await relay();
      const h = await gatewayFor([target('primary', primary.port)]);
      h.keys.set('hosted.example', [
        {
          domain: 'hosted.example',
          selector: 'giroflee1',
          algorithm: 'rsa-sha256',
          privateKeyPem: 'not a key',
        },
      ]);
      const res = await submit(h.gateway.port);
      expect(res.code).toBe(451);
      expect(primary.received).toHaveLength(0);
    });
  });
});
