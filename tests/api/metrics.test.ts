import { register } from 'prom-client';
import { metricsComponent } from '../../src/serve';
import { countInboundReplies, outboundMetrics } from '../../src/metrics/metrics';
import { logger } from '../../src/logger';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { useTestApp } from '../support/app';
import { makeRacine } from '../support/factories';

const TOKEN = 'a-long-enough-metrics-token-0123456789';

/** The value of one sample in the Prometheus text, or undefined. */
function sample(text: string, line: RegExp): number | undefined {
  const m = new RegExp(`^${line.source} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('metrics on their own listener', () => {
  const app = useTestApp();
  let url: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const [port] = await freeLoopbackPorts(1);
    const ctx = {
      ...app.ctx,
      config: { ...app.ctx.config, metrics: { listen: { host: '127.0.0.1', port } } },
    };
    stop = (await metricsComponent.start(ctx)).stop;
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(() => stop());

  it('serves the gateways’ counters, the process and the PostgreSQL pool in the Prometheus text format', async () => {
    outboundMetrics.messages.inc({ result: 'accepted' });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, /giroflee_outbound_messages_total\{result="accepted"\}/)).toBeGreaterThan(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(sample(text, /giroflee_db_pool_connections\{state="used"\}/)).toBeGreaterThanOrEqual(0);
    expect(sample(text, /giroflee_db_pool_connections\{state="free"\}/)).toBeGreaterThanOrEqual(0);
  });

  it('serves nothing else there', async () => {
    expect((await fetch(`${url}/api/v1/openapi.json`)).status).toBe(404);
  });

  it('is not served beside the API without a token', async () => {
    const res = await app.client.request('GET', '/metrics');
    expect(res.text).not.toContain('giroflee_');
  });
});

describe('metrics behind a bearer token', () => {
  const app = useTestApp({ config: { metrics: { token: TOKEN } } });

  it('asks for the token', async () => {
    const none = await app.client.request('GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    const wrong = await app.client.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${TOKEN.slice(1)}x` },
    });
    expect(wrong.status).toBe(401);
  });

  it('serves the metrics to whoever has it, beside the API', async () => {
    const res = await app.client.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^# TYPE giroflee_http_request_duration_seconds histogram$/m);
  });
});

describe('HTTP access log and latency', () => {
  const app = useTestApp();

  it('logs method, route template, status and latency, never the path, the address or the client', async () => {
    const { actor } = await makeRacine(app.ctx);
    const info = jest.spyOn(logger, 'info');
    try {
      await app.client.request('GET', '/api/v1/mailboxes/alice%40secret.example', {
        as: actor,
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      await app.client.request('GET', '/api/v1/no-such-thing?who=bob@secret.example');
      await app.client.request('GET', '/mail/bob@secret.example');
      const lines = info.mock.calls
        .filter((c) => c[1] === 'http')
        .map((c) => c[0] as Record<string, unknown>);
      expect(lines).toEqual([
        { method: 'GET', route: '/api/v1/mailboxes/:address', status: 404, ms: expect.any(Number) },
        { method: 'GET', route: '(not found)', status: 404, ms: expect.any(Number) },
        { method: 'GET', route: '(static)', status: 200, ms: expect.any(Number) },
      ]);
      const logged = JSON.stringify(info.mock.calls);
      expect(logged).not.toMatch(/secret\.example|203\.0\.113|127\.0\.0\.1/);
    } finally {
      info.mockRestore();
    }
  });

  it('measures latency by route template', async () => {
    await app.client.request('GET', '/healthz');
    const text = await register.getSingleMetricAsString('giroflee_http_request_duration_seconds');
    expect(
      sample(
        text,
        /giroflee_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\}/,
      ),
    ).toBeGreaterThan(0);
    expect(text).not.toContain('secret.example');
  });
});

describe('inbound gateway counts', () => {
  it.each([
    ['250 2.0.0 <x> Saved', 'delivered', 'stored'],
    [
      Object.assign(new Error('4.7.0 cannot encrypt for this mailbox: no usable active key'), {
        responseCode: 451,
      }),
      'deferred',
      'no_key',
    ],
    [Object.assign(new Error('5.1.1 no such mailbox here'), { responseCode: 550 }), 'refused', 'no_mailbox'],
    [
      Object.assign(new Error('5.3.4 message larger than 10 bytes'), { responseCode: 552 }),
      'refused',
      'too_big',
    ],
    [
      Object.assign(new Error('4.4.2 next hop did not answer'), { responseCode: 451 }),
      'deferred',
      'next_hop',
    ],
    [Object.assign(new Error('weird'), { responseCode: 451 }), 'deferred', 'other'],
  ])('counts %p as %s (%s)', async (reply, result, reason) => {
    const read = async () =>
      sample(
        await register.getSingleMetricAsString('giroflee_inbound_recipients_total'),
        new RegExp(`giroflee_inbound_recipients_total\\{result="${result}",reason="${reason}"\\}`),
      ) ?? 0;
    const before = await read();
    countInboundReplies([reply as string | Error]);
    expect(await read()).toBe(before + 1);
  });
});
