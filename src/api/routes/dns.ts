import type { Express, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../context';
import { checkOwnershipProof, runDomainCheck } from '../../dns/check-domain';
import { mtaStsPolicy } from '../../dns/checks/mta-sts';
import { rotateDkimKey } from '../../dns/commands/rotate-dkim-key';
import { setDkimMode } from '../../dns/commands/set-dkim-mode';
import { verifyDomain } from '../../dns/commands/verify-domain';
import { listDkimKeys, presentDkimKey } from '../../dns/dkim-keys';
import { nextDkimRotation } from '../../dns/dkim-rotation';
import { domainRecords } from '../../dns/domain-records';
import { presentPlan } from '../../dns/record-plan';
import { zoneSnippet } from '../../dns/zone-file';
import { findDomainForActor, isActiveDomain } from '../../domains/find-domain';
import { checkDomainName } from '../../names/domain-name';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { domainParams } from '../params';

const localized = z.object({ fr: z.string(), en: z.string() });
const recordSchema = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  value: z.string(),
  ttl: z.number(),
  purpose: localized,
});
const checkSchema = z.object({
  id: z.string(),
  status: z.enum(['ok', 'warning', 'error', 'unknown']),
  expected: z.array(z.string()),
  found: z.array(z.string()),
  messages: z.array(
    z.object({
      level: z.string(),
      code: z.string(),
      text: localized,
      publish: z.array(z.string()).optional(),
    }),
  ),
});
const reportSchema = z.object({
  domain: z.string(),
  checkedAt: z.string(),
  status: z.enum(['ok', 'warning', 'error', 'unknown']),
  checks: z.array(checkSchema),
});

export function mountDns(router: Router, app: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, app, {
    method: 'get',
    path: '/domains/:name/records',
    summary: 'Records to publish for the domain (JSON, or a BIND zone snippet with Accept: text/dns)',
    tags: ['dns'],
    params: domainParams,
    response: z.array(recordSchema),
    handler: async ({ ctx, params, req, res }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      const plan = await domainRecords(ctx, domain);
      if (req.accepts(['application/json', 'text/dns']) === 'text/dns') {
        res.type('text/dns; charset=utf-8').send(zoneSnippet(domain.name, plan));
        return undefined;
      }
      return presentPlan(plan);
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/domains/:name/check',
    summary: 'Check every record of the domain at its authoritative nameservers now',
    tags: ['dns'],
    rateLimit: limit,
    // DNS answers take seconds: no transaction is held meanwhile; each write stands alone.
    transaction: false,
    params: domainParams,
    status: 200,
    response: reportSchema,
    handler: async ({ ctx, params }) =>
      runDomainCheck(ctx, await findDomainForActor(ctx, params.name, 'read')),
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/domains/:name/verify',
    summary: 'Look for the ownership proof (_giroflee TXT) now; found → the domain becomes active',
    tags: ['dns'],
    rateLimit: limit,
    // The proof is looked up before the transaction, which only covers the activation.
    transaction: false,
    params: domainParams,
    status: 200,
    handler: async ({ ctx, params, inTransaction }) => {
      // Loaded for `update` already, so the slow lookup is done only for those who may verify.
      const domain = await findDomainForActor(ctx, params.name, 'update');
      const proof = await checkOwnershipProof(ctx, domain);
      return inTransaction((tx) => verifyDomain(tx, domain, proof));
    },
  });

  defineRoute(router, app, {
    method: 'get',
    path: '/domains/:name/dkim',
    summary:
      'DKIM keys of the domain and their rotation state, newest first (public parts only), and when the next scheduled rotation starts (null: none scheduled)',
    tags: ['dns'],
    params: domainParams,
    handler: async ({ ctx, params }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      const keys = await listDkimKeys(ctx, domain.id);
      const live = keys.filter((k) => k.state !== 'retired');
      return { items: keys.map(presentDkimKey), nextRotationAt: nextDkimRotation(ctx.config.dns, live) };
    },
  });

  defineRoute(router, app, {
    method: 'patch',
    path: '/domains/:name/dkim',
    summary:
      'Publish DKIM keys by delegation (CNAME, rotated by the platform) or as TXT records kept by the owner',
    tags: ['dns'],
    rateLimit: limit,
    params: domainParams,
    body: z.strictObject({ mode: z.enum(['delegated', 'txt']) }),
    handler: async ({ ctx, params, body }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      return { items: (await setDkimMode(ctx, domain, body.mode)).map(presentDkimKey) };
    },
  });

  defineRoute(router, app, {
    method: 'post',
    path: '/domains/:name/dkim/rotate',
    summary: 'Start a DKIM key rotation now (racines)',
    tags: ['dns'],
    rateLimit: limit,
    params: domainParams,
    status: 200,
    handler: async ({ ctx, params }) => {
      const domain = await findDomainForActor(ctx, params.name, 'read');
      return { items: (await rotateDkimKey(ctx, domain)).map(presentDkimKey) };
    },
  });
}

/**
 * RFC 8461 §3.3: the MTA-STS policy at https://mta-sts.<domain>/.well-known/mta-sts.txt, for
 * every active domain (the TLS front end routes mta-sts.* names here).
 */
export function mountMtaSts(app: Express, ctx: AppContext): void {
  app.get('/.well-known/mta-sts.txt', async (req, res, next) => {
    try {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      const parsed = host.startsWith('mta-sts.') ? checkDomainName(host.slice('mta-sts.'.length)) : undefined;
      const known =
        parsed?.ok && ctx.config.dns.mtaStsMode !== 'none' ? await isActiveDomain(ctx, parsed.value) : false;
      if (!known) {
        res.status(404).type('text/plain').send('not found\n');
        return;
      }
      res.type('text/plain; charset=utf-8').send(mtaStsPolicy(ctx.config.dns));
    } catch (e) {
      next(e);
    }
  });
}
