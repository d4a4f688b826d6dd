import type { Express, Router } from 'express';
import { z } from 'zod';
import { authorize } from '../../auth/authorize';
import type { AppContext } from '../../context';
import { checkDomain, storeCheck } from '../../dns/check-domain';
import { ensureDomainDkimKey, listDkimKeys, presentDkimKey } from '../../dns/dkim-keys';
import { setDkimMode } from '../../dns/dkim-mode';
import { rotateDkimKey } from '../../dns/dkim-rotation';
import { domainRecords } from '../../dns/domain-records';
import { mtaStsPolicy, presentPlan, zoneSnippet } from '../../dns/record-plan';
import { verifyDomain } from '../../dns/verify-domain';
import { findDomainForActor, isActiveDomain } from '../../domains/find-domain';
import { checkDomainName } from '../../names/domain-name';
import { defineRoute } from '../define-route';
import { mutationLimiter } from '../middleware/rate-limit';
import { domainParams } from './domains';

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

export function mountDns(router: Router, ctx: AppContext): void {
  const limit = mutationLimiter();

  defineRoute(router, ctx, {
    method: 'get',
    path: '/domains/:name/records',
    summary: 'Records to publish for the domain (JSON, or a BIND zone snippet with Accept: text/dns)',
    tags: ['dns'],
    params: domainParams,
    response: z.array(recordSchema),
    handler: async ({ actor, params, req, res }) => {
      const domain = await findDomainForActor(ctx.db, actor, params.name, 'read');
      const plan = await domainRecords(ctx, domain);
      if (req.accepts(['application/json', 'text/dns']) === 'text/dns') {
        res.type('text/dns; charset=utf-8').send(zoneSnippet(domain.name, plan));
        return undefined;
      }
      return presentPlan(plan);
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/domains/:name/check',
    summary: 'Check every record of the domain at its authoritative nameservers now',
    tags: ['dns'],
    rateLimit: limit,
    params: domainParams,
    status: 200,
    response: reportSchema,
    handler: async ({ actor, params }) => {
      const domain = await findDomainForActor(ctx.db, actor, params.name, 'read');
      const report = await checkDomain(ctx, domain);
      await storeCheck(ctx.db, domain.id, report);
      return report;
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/domains/:name/verify',
    summary: 'Look for the ownership proof (_giroflee TXT) now; found → the domain becomes active',
    tags: ['dns'],
    rateLimit: limit,
    params: domainParams,
    status: 200,
    handler: async ({ actor, params }) => {
      const domain = await findDomainForActor(ctx.db, actor, params.name, 'update');
      return verifyDomain(ctx, actor, domain);
    },
  });

  defineRoute(router, ctx, {
    method: 'get',
    path: '/domains/:name/dkim',
    summary: 'DKIM keys of the domain and their rotation state (public parts only)',
    tags: ['dns'],
    params: domainParams,
    handler: async ({ actor, params }) => {
      const domain = await findDomainForActor(ctx.db, actor, params.name, 'read');
      await ensureDomainDkimKey(ctx.db, ctx, domain.id);
      return { items: (await listDkimKeys(ctx.db, domain.id)).map(presentDkimKey) };
    },
  });

  defineRoute(router, ctx, {
    method: 'patch',
    path: '/domains/:name/dkim',
    summary:
      'Publish DKIM keys by delegation (CNAME, rotated by the platform) or as TXT records kept by the owner',
    tags: ['dns'],
    rateLimit: limit,
    params: domainParams,
    body: z.strictObject({ mode: z.enum(['delegated', 'txt']) }),
    handler: async ({ actor, params, body }) => {
      const domain = await findDomainForActor(ctx.db, actor, params.name, 'update');
      const keys = await setDkimMode(ctx, actor, domain, body.mode);
      return { items: keys.map(presentDkimKey) };
    },
  });

  defineRoute(router, ctx, {
    method: 'post',
    path: '/domains/:name/dkim/rotate',
    summary: 'Start a DKIM key rotation now (racines)',
    tags: ['dns'],
    rateLimit: limit,
    params: domainParams,
    status: 200,
    handler: async ({ actor, params }) => {
      const domain = await findDomainForActor(ctx.db, actor, params.name, 'read');
      authorize(actor, 'manage', { type: 'platform' });
      const keys = await rotateDkimKey(ctx, actor, domain);
      return { items: keys.map(presentDkimKey) };
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
        parsed?.ok && ctx.config.dns.mtaStsMode !== 'none'
          ? await isActiveDomain(ctx.db, parsed.value)
          : false;
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
