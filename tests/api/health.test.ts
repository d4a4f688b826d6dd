import { useTestApp } from '../support/app';

describe('health endpoints', () => {
  const app = useTestApp();

  it('answers /healthz while the process lives', async () => {
    const res = await app.client.request('GET', '/healthz');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers /readyz 200 when the database is reachable and migrated', async () => {
    const res = await app.client.request('GET', '/readyz');
    expect(res).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('answers an unknown API path with a JSON 404 in French by default', async () => {
    const res = await app.client.request('GET', '/api/v1/nowhere');
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'not_found', message: 'Introuvable.', details: null });
  });

  it('answers in English when the client prefers it', async () => {
    const res = await app.client.request('GET', '/api/v1/nowhere', {
      headers: { 'accept-language': 'en-GB,en;q=0.9' },
    });
    expect(res.body.error.message).toBe('Not found.');
  });
});
