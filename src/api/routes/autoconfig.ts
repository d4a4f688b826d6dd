import express, { type Express, type Request, type Response, type Router } from 'express';
import { appleMobileconfig } from '../../autoconfig/apple-mobileconfig';
import { outlookAutodiscover, requestedAddress } from '../../autoconfig/outlook-autodiscover';
import { thunderbirdAutoconfig } from '../../autoconfig/thunderbird-autoconfig';
import type { AppContext } from '../../context';
import { isActiveDomain } from '../../domains/find-domain';
import { findMailboxForActor } from '../../mailboxes/mailboxes';
import { checkDomainName } from '../../names/domain-name';
import { checkEmailAddress } from '../../names/email-address';
import { defineRoute } from '../define-route';
import { limiter } from '../middleware/rate-limit';
import { mailboxParams } from '../params';

/**
 * Automatic setup of mail programs, public and per hosted domain: only active domains answer,
 * and nothing says whether an address exists (any address of an active domain gets the same
 * servers). Nothing about the request is logged.
 */

/** The domain asked about: the `emailaddress` Thunderbird sends, else the Host (`autoconfig.<domain>` or `<domain>`). */
function askedDomain(req: Request): string | undefined {
  const email =
    typeof req.query.emailaddress === 'string' ? checkEmailAddress(req.query.emailaddress) : undefined;
  if (email?.ok) return email.value.domain;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/\.$/, '');
  const name = checkDomainName(host.replace(/^autoconfig\./i, ''));
  return name.ok ? name.value : undefined;
}

export function mountAutoconfig(app: Express, ctx: AppContext): void {
  const limit = limiter(120);
  const guard =
    (fn: (req: Request, res: Response) => Promise<unknown>) =>
    (req: Request, res: Response, next: (e?: unknown) => void) =>
      fn(req, res).catch(next);

  const autoconfig = guard(async (req, res) => {
    const domain = askedDomain(req);
    if (!domain || !(await isActiveDomain(ctx, domain))) return res.status(404).end();
    res.setHeader('Vary', 'Host');
    res.type('application/xml').send(thunderbirdAutoconfig(ctx.config.mailClients, domain));
  });
  app.get('/mail/config-v1.1.xml', limit, autoconfig);
  app.get('/.well-known/autoconfig/mail/config-v1.1.xml', limit, autoconfig);

  // Outlook POSTs its request to https://autodiscover.<domain>/autodiscover/autodiscover.xml
  // (Express matches the path case-insensitively, as Outlook spells it either way).
  app.post(
    '/autodiscover/autodiscover.xml',
    limit,
    express.text({ type: () => true, limit: '16kb' }),
    guard(async (req, res) => {
      const address = typeof req.body === 'string' ? requestedAddress(req.body) : undefined;
      if (!address) return res.status(400).type('text/plain').send('Autodiscover request expected\n');
      if (!(await isActiveDomain(ctx, address.domain))) return res.status(404).end();
      res.type('text/xml').send(outlookAutodiscover(ctx.config.mailClients, address));
    }),
  );
}

/** The Apple profile of the signed-in mailbox, which the web app links to. */
export function mountMobileconfig(router: Router, app: AppContext): void {
  defineRoute(router, app, {
    method: 'get',
    path: '/mailboxes/:address/mobileconfig',
    summary:
      'Owner: an Apple configuration profile (.mobileconfig) adding the mailbox to iOS/macOS Mail; no password inside',
    tags: ['mail programs'],
    params: mailboxParams,
    handler: async ({ ctx, params, res }) => {
      const mailbox = await findMailboxForActor(ctx, params.address, 'owner');
      const profile = appleMobileconfig(ctx.config.mailClients, ctx.config.platformHostname, {
        id: mailbox.id,
        address: mailbox.address,
        displayName: mailbox.display_name,
      });
      res
        .status(200)
        .type('application/x-apple-aspen-config')
        .setHeader('Content-Disposition', `attachment; filename="${mailbox.address}.mobileconfig"`)
        .send(profile);
      return undefined;
    },
  });
}
