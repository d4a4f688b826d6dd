import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';

/** Every route registers itself here when defined; /api/v1/openapi.json is generated from it. */
export const registry = new OpenAPIRegistry();

export function openApiDocument(): unknown {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'giroflee API',
      version: '1',
      description:
        'Control plane of the giroflee mail platform. Errors are {"error":{"code","message","details"}}. ' +
        'Cookie-authenticated requests that change something must carry the header X-Giroflee-CSRF: 1.',
    },
    servers: [{ url: '/api/v1' }],
  });
}
