import crypto from 'node:crypto';
import { openApiDocument } from '../../src/api/openapi';
import type { Actor } from '../../src/auth/actor';
import { makeAlias, makeApiToken, makeMailbox, makeTenant } from '../support/factories';
import { useTestApp } from '../support/app';

/**
 * Walks every endpoint of the generated OpenAPI document as actors of another collective (and
 * as the owner of another mailbox), against a victim's resources. For each, the answer must be
 * the one given for a resource that does not exist (so existence does not leak), the victim's
 * names must not appear, and no table may change.
 */
describe('tenancy matrix', () => {
  const app = useTestApp();
  let victim: Awaited<ReturnType<typeof makeTenant>>;
  let intruder: Awaited<ReturnType<typeof makeTenant>>;
  let victimAliasId: string;
  let victimTokenId: string;
  let neighbour: { address: string };
  let intruderToken: Actor;

  beforeAll(async () => {
    victim = await makeTenant(app.ctx);
    intruder = await makeTenant(app.ctx);
    neighbour = await makeMailbox(app.ctx, { domainId: intruder.domain.id });
    victimAliasId = (
      await makeAlias(app.ctx, {
        domainId: victim.domain.id,
        localPart: 'secret-alias',
        destinations: [victim.mailbox.address],
      })
    ).id;
    victimTokenId = (
      await makeApiToken(app.ctx, { collectiveId: victim.collective.id, name: 'victim token' })
    ).id;
    intruderToken = { type: 'token', id: 'intruder', name: 'intruder', collectiveId: intruder.collective.id };
  });

  const SKIP_TABLES = new Set(['sessions', 'login_throttle', 'knex_migrations', 'knex_migrations_lock']);

  async function snapshot(): Promise<string> {
    const { rows } = await app.ctx.db.raw(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
    );
    const parts: string[] = [];
    for (const { tablename } of rows as Array<{ tablename: string }>) {
      if (SKIP_TABLES.has(tablename)) continue;
      const r = await app.ctx.db.raw(
        `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM "${tablename}" t`,
      );
      parts.push(`${tablename}:${r.rows[0].h}`);
    }
    return parts.join('\n');
  }

  function endpoints(): Array<{ method: string; path: string }> {
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    return Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path: p })),
    );
  }

  const paramsFor = (kind: 'victim' | 'missing', owner = false): Record<string, string> =>
    kind === 'victim'
      ? {
          slug: victim.collective.slug,
          name: victim.domain.name,
          address: owner ? neighbour.address : victim.mailbox.address,
          id: victimAliasId,
          accountId: victim.admin.id,
        }
      : {
          slug: 'collectif-inexistant',
          name: 'inexistant.example',
          address: owner ? `personne@${intruder.domain.name}` : 'personne@inexistant.example',
          id: crypto.randomUUID(),
          accountId: crypto.randomUUID(),
        };

  function fill(path: string, params: Record<string, string>): string {
    // A token id is a different resource from an alias id under the same parameter name.
    const p = path.startsWith('/collectives/{slug}/tokens/')
      ? { ...params, id: params.id === victimAliasId ? victimTokenId : params.id }
      : params;
    return '/api/v1' + path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(p[k] ?? 'x'));
  }

  const SAMPLE_BODIES: Record<string, unknown> = {
    'PATCH /collectives/{slug}': { name: 'Renamed' },
    'POST /collectives/{slug}/members': { email: 'intrus@ailleurs.example', role: 'admin' },
    'POST /collectives/{slug}/tokens': { name: 'intrus' },
    'PATCH /collectives/{slug}/members/{accountId}': { role: 'member' },
    'POST /collectives/{slug}/domains': { name: 'intrus.example' },
    'POST /domains/{name}/mailboxes': {
      localPart: 'intrus',
      password: 'a long enough password',
      encryptionMode: 'none',
    },
    'POST /domains/{name}/aliases': { localPart: 'intrus', destinations: ['intrus@ailleurs.example'] },
    'PATCH /mailboxes/{address}': { displayName: 'Intrus' },
    'POST /mailboxes/{address}/password': { newPassword: 'a long enough password' },
    'PATCH /aliases/{id}': { destinations: ['intrus@ailleurs.example'] },
  };

  const actors = () =>
    [
      ['an admin of another collective', intruder.actors.admin, false],
      ['a member of another collective', intruder.actors.member, false],
      ['a token of another collective', intruderToken, false],
      ['the owner of another mailbox', intruder.actors.owner, true],
    ] as const;

  it('answers every endpoint about another tenant exactly as for a resource that does not exist', async () => {
    const list = endpoints().filter((e) => /\{\w+\}/.test(e.path));
    expect(list.length).toBeGreaterThan(15);
    // The webmail's IMAP proxy is walked too: another mailbox's mail is a mailbox that does not exist.
    expect(list.filter((e) => e.path.startsWith('/mail/')).length).toBeGreaterThanOrEqual(14);
    for (const [, actor] of actors()) await app.client.request('GET', '/api/v1/me', { as: actor });
    const before = await snapshot();
    const failures: string[] = [];
    for (const [who, actor, owner] of actors()) {
      for (const e of list) {
        const body =
          SAMPLE_BODIES[`${e.method} ${e.path}`] ??
          (e.method === 'GET' || e.method === 'DELETE' ? undefined : {});
        const real = await app.client.request(e.method, fill(e.path, paramsFor('victim', owner)), {
          as: actor,
          body,
        });
        const missing = await app.client.request(e.method, fill(e.path, paramsFor('missing', owner)), {
          as: actor,
          body,
        });
        const label = `${who}: ${e.method} ${e.path}`;
        if (real.status < 400) failures.push(`${label} succeeded (${real.status})`);
        else if (
          real.status !== missing.status ||
          JSON.stringify(real.body) !== JSON.stringify(missing.body)
        ) {
          failures.push(
            `${label}: ${real.status} ${real.text} differs from ${missing.status} ${missing.text}`,
          );
        }
        for (const secret of [
          victim.mailbox.address,
          neighbour.address,
          victim.admin.email,
          'secret-alias',
        ]) {
          if (secret !== neighbour.address || owner) {
            if (real.text.includes(secret)) failures.push(`${label} leaks ${secret}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('shows nothing of another tenant in the listings without parameters', async () => {
    const list = endpoints().filter((e) => e.method === 'GET' && !/\{\w+\}/.test(e.path));
    const failures: string[] = [];
    for (const [who, actor] of actors()) {
      for (const e of list) {
        const res = await app.client.request('GET', `/api/v1${e.path}`, { as: actor });
        for (const secret of [
          victim.collective.slug,
          victim.domain.name,
          victim.mailbox.address,
          victim.admin.email,
        ]) {
          if (res.text.includes(secret)) failures.push(`${who}: GET ${e.path} shows ${secret}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
