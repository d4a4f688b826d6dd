import type { Express, Request, Response } from 'express';
import type { AppContext } from '../../context';
import { isActiveDomain } from '../../domains/find-domain';
import { findWkdKeys } from '../../encryption/wkd';
import { checkDomainName } from '../../names/domain-name';

/**
 * Web Key Directory (draft-koch-openpgp-webkey-service §3.1): the direct method on the mail
 * domain itself, `/.well-known/openpgpkey/hu/<hash>`, and the advanced method on the host
 * `openpgpkey.<domain>`, `/.well-known/openpgpkey/<domain>/hu/<hash>`; each with its `policy`
 * file (§4.5). Only domains giroflee serves answer; anything else is 404.
 */
function hostDomain(req: Request): string | undefined {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/\.$/, '');
  const r = checkDomainName(host);
  return r.ok ? r.value : undefined;
}

function pathDomain(req: Request): string | undefined {
  const r = checkDomainName(String(req.params.domain ?? ''));
  return r.ok ? r.value : undefined;
}

export function mountWkd(app: Express, ctx: AppContext): void {
  const policy = (domainOf: (req: Request) => string | undefined) => async (req: Request, res: Response) => {
    const domain = domainOf(req);
    if (!domain || !(await isActiveDomain(ctx, domain))) return res.status(404).end();
    res.type('text/plain').send('');
  };
  const key = (domainOf: (req: Request) => string | undefined) => async (req: Request, res: Response) => {
    const domain = domainOf(req);
    const hash = String(req.params.hash);
    if (!domain || !/^[ybndrfg8ejkmcpqxot1uwisza345h769]{32}$/.test(hash)) return res.status(404).end();
    const keys = await findWkdKeys(ctx, domain, hash);
    if (!keys) return res.status(404).end();
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.type('application/octet-stream').send(keys);
  };
  const guard =
    (fn: (req: Request, res: Response) => Promise<unknown>) =>
    (req: Request, res: Response, next: (e?: unknown) => void) =>
      fn(req, res).catch(next);

  app.get('/.well-known/openpgpkey/policy', guard(policy(hostDomain)));
  app.get('/.well-known/openpgpkey/hu/:hash', guard(key(hostDomain)));
  app.get('/.well-known/openpgpkey/:domain/policy', guard(policy(pathDomain)));
  app.get('/.well-known/openpgpkey/:domain/hu/:hash', guard(key(pathDomain)));
}
