import type { Router } from 'express';
import { z } from 'zod';
import { authorize } from '../../auth/authorize';
import type { AppContext } from '../../context';
import { presentRelay } from '../../relay/present-relay';
import {
  createRelaySchema,
  relayNameSchema,
  rotateCredentialsSchema,
  updateRelaySchema,
} from '../../relay/relay-input';
import {
  createRelay,
  drainRelay,
  findRelay,
  listRelays,
  promoteRelay,
  removeRelay,
  rotateRelayCredentials,
  updateRelay,
} from '../../relay/relays';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';

const params = z.strictObject({ name: relayNameSchema });
const PLATFORM = { type: 'platform' } as const;

/** The outbound relay pool: racines only. */
export function mountRelays(router: Router, ctx: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, ctx, {
    method: 'get',
    path: '/relays',
    summary: 'Relays in routing order, with their health',
    tags: ['relays'],
    handler: async ({ actor }) => {
      authorize(actor, 'manage', PLATFORM);
      return { items: (await listRelays(ctx.db)).map(presentRelay) };
    },
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/relays/:name',
    summary: 'One relay, with its health',
    tags: ['relays'],
    params,
    handler: async ({ actor, params: p }) => {
      authorize(actor, 'manage', PLATFORM);
      return presentRelay(await findRelay(ctx.db, p.name));
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/relays',
    summary: 'Add a relay (smarthost or direct), primary or fallback',
    tags: ['relays'],
    rateLimit: limit,
    body: createRelaySchema,
    handler: async ({ actor, body }) => {
      authorize(actor, 'manage', PLATFORM);
      return presentRelay(await createRelay(ctx.db, ctx.keyring, actor, body));
    },
  });

  defineRoute(router, ctx, {
    method: 'patch',
    path: '/relays/:name',
    summary: 'Change priority, role (primary/fallback), state (active/draining/disabled) or sending IPs',
    tags: ['relays'],
    rateLimit: limit,
    params,
    body: updateRelaySchema,
    handler: async ({ actor, params: p, body }) => {
      authorize(actor, 'manage', PLATFORM);
      return presentRelay(await updateRelay(ctx.db, actor, p.name, body));
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/relays/:name/promote',
    summary: 'Make a fallback a primary, ahead of the current primaries',
    tags: ['relays'],
    rateLimit: limit,
    params,
    status: 200,
    handler: async ({ actor, params: p }) => {
      authorize(actor, 'manage', PLATFORM);
      return presentRelay(await promoteRelay(ctx.db, actor, p.name));
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/relays/:name/drain',
    summary: 'Stop sending new mail through a relay',
    tags: ['relays'],
    rateLimit: limit,
    params,
    status: 200,
    handler: async ({ actor, params: p }) => {
      authorize(actor, 'manage', PLATFORM);
      return presentRelay(await drainRelay(ctx.db, actor, p.name));
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/relays/:name/credentials',
    summary: 'Rotate the relay credentials (stored wrapped by the master key)',
    tags: ['relays'],
    rateLimit: limit,
    params,
    body: rotateCredentialsSchema,
    status: 200,
    handler: async ({ actor, params: p, body }) => {
      authorize(actor, 'manage', PLATFORM);
      return presentRelay(await rotateRelayCredentials(ctx.db, ctx.keyring, actor, p.name, body));
    },
  });

  defineRoute(router, ctx, {
    method: 'delete',
    path: '/relays/:name',
    summary: 'Remove a relay',
    tags: ['relays'],
    rateLimit: limit,
    params,
    status: 204,
    handler: async ({ actor, params: p }) => {
      authorize(actor, 'manage', PLATFORM);
      await removeRelay(ctx.db, actor, p.name);
      return undefined;
    },
  });
}
