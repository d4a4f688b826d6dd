import { useTestApp } from '../support/app';

describe('GET /api/v1/openapi.json', () => {
  const app = useTestApp();

  it('describes every route in OpenAPI 3.1 with the schemas of their bodies, without a login', async () => {
    const res = await app.client.request('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const create = res.body.paths['/domains/{name}/mailboxes'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['localPart', 'password', 'displayName', 'quotaBytes']),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(res.body.paths['/collectives/{slug}'].delete).toBeDefined();
  });
});
