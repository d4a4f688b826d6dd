import type { Router } from 'express';
import type { AppContext } from '../../context';
import { createRelay } from '../../relay/commands/create-relay';
import { drainRelay } from '../../relay/commands/drain-relay';
import { promoteRelay } from '../../relay/commands/promote-relay';
import { removeRelay } from '../../relay/commands/remove-relay';
import { rotateRelayCredentials } from '../../relay/commands/rotate-relay-credentials';
import { updateRelay } from '../../relay/commands/update-relay';
import { presentRelay } from '../../relay/present-relay';
import { createRelaySchema, rotateCredentialsSchema, updateRelaySchema } from '../../relay/relay-input';
import { findRelayForActor, listRelays } from '../../relay/relays';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { relayParams } from '../params';

/** The outbound relay pool: racines only. Commands take the relay's name, as the CLI does. */
export function mountRelays(router: Router, app: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, app, {
    method: 'get',
    path: '/relays',
    summary: 'Relays in routing order, with their health',
    tags: ['relays'],
    handler: async ({ ctx }) => ({ items: (await listRelays(ctx)).map(presentRelay) }),
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/relays/:name',
    summary: 'One relay, with its health',
    tags: ['relays'],
    params: relayParams,
    handler: async ({ ctx, params }) => presentRelay(await findRelayForActor(ctx, params.name)),
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/relays',
    summary: 'Add a relay (smarthost or direct), primary or fallback',
    tags: ['relays'],
    rateLimit: limit,
    body: createRelaySchema,
    handler: async ({ ctx, body }) => presentRelay(await createRelay(ctx, body)),
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/relays/:name',
    summary: 'Change priority, role (primary/fallback), state (active/draining/disabled) or sending IPs',
    tags: ['relays'],
    rateLimit: limit,
    params: relayParams,
    body: updateRelaySchema,
    handler: async ({ ctx, params, body }) => presentRelay(await updateRelay(ctx, params.name, body)),
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/relays/:name/promote',
    summary: 'Make a fallback a primary, ahead of the current primaries',
    tags: ['relays'],
    rateLimit: limit,
    params: relayParams,
    status: 200,
    handler: async ({ ctx, params }) => presentRelay(await promoteRelay(ctx, params.name)),
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/relays/:name/drain',
    summary: 'Stop sending new mail through a relay',
    tags: ['relays'],
    rateLimit: limit,
    params: relayParams,
    status: 200,
    handler: async ({ ctx, params }) => presentRelay(await drainRelay(ctx, params.name)),
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/relays/:name/credentials',
    summary: 'Rotate the relay credentials (stored wrapped by the master key)',
    tags: ['relays'],
    rateLimit: limit,
    params: relayParams,
    body: rotateCredentialsSchema,
    status: 200,
    handler: async ({ ctx, params, body }) =>
      presentRelay(await rotateRelayCredentials(ctx, params.name, body)),
  });

  defineRoute(router, app, {
    method: 'delete',
    path: '/relays/:name',
    summary: 'Remove a relay',
    tags: ['relays'],
    rateLimit: limit,
    params: relayParams,
    status: 204,
    handler: async ({ ctx, params }) => {
      await removeRelay(ctx, params.name);
      return undefined;
    },
  });
}
