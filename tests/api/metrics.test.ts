import { outboundMetrics } from '../../src/relay/metrics';
import { createTestContext, TestContext } from '../support/context';
import { startTestApp, TestClient } from '../support/http';

describe('GET /metrics', () => {
  let ctx: TestContext;
  let client: TestClient;
  beforeAll(async () => {
    ctx = await createTestContext();
    client = await startTestApp(ctx);
  });
  afterAll(async () => {
    await client.close();
    await ctx.destroy();
  });

  it('serves the gateways’ counters in the Prometheus text format', async () => {
    outboundMetrics.messages.inc({ result: 'accepted' });
    const res = await client.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^giroflee_outbound_messages_total\{result="accepted"\} [1-9]/m);
  });
});
