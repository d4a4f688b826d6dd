import { outboundMetrics } from '../../src/relay/metrics';
import { useTestApp } from '../support/app';

describe('GET /metrics', () => {
  const app = useTestApp();

  it('serves the gateways’ counters in the Prometheus text format', async () => {
    outboundMetrics.messages.inc({ result: 'accepted' });
    const res = await app.client.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^giroflee_outbound_messages_total\{result="accepted"\} [1-9]/m);
  });
});
