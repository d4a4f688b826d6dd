import crypto from 'node:crypto';
import * as openpgp from 'openpgp';
import type { Actor } from '../../src/auth/actor';
import { insertApiToken } from '../../src/auth/api-tokens';
import { loadAccountActor, loadMailboxActor } from '../../src/auth/sessions';
import { hashPassword } from '../../src/auth/password-hash';
import type { ServiceContext } from '../../src/context';
import { ensureDomainDkimKey } from '../../src/dns/dkim-keys';
import { createRelaySchema } from '../../src/relay/relay-input';
import { insertRelay } from '../../src/relay/relays';

/**
 * Test data, made directly (no authorization, no audit), so a test sets up exactly the world it
 * needs. Each factory takes the test's context.
 */

let seq = 0;
const unique = (p: string) => `${p}${++seq}${crypto.randomBytes(2).toString('hex')}`;

export const TEST_PASSWORD = 'correct horse battery staple';
// One argon2 hash for every factory row: hashing costs ~18 ms each.
let hashed: Promise<string> | undefined;
export const testPasswordHash = () => (hashed ??= hashPassword(TEST_PASSWORD));

export async function makeCollective(ctx: ServiceContext, attrs: { slug?: string; name?: string } = {}) {
  const slug = attrs.slug ?? unique('coll');
  const [row] = await ctx
    .db('collectives')
    .insert({ slug, name: attrs.name ?? `Collectif ${slug}` })
    .returning('*');
  return row as { id: string; slug: string; name: string };
}

export async function makeAccount(
  ctx: ServiceContext,
  attrs: { email?: string; racine?: boolean; collectiveId?: string; role?: 'admin' | 'member' } = {},
) {
  const [row] = await ctx
    .db('accounts')
    .insert({
      email: attrs.email ?? `${unique('person')}@example.org`,
      password_hash: await testPasswordHash(),
      is_racine: attrs.racine ?? false,
    })
    .returning('*');
  if (attrs.collectiveId) {
    await ctx.db('memberships').insert({
      account_id: row.id,
      collective_id: attrs.collectiveId,
      role: attrs.role ?? 'admin',
    });
  }
  return row as { id: string; email: string };
}

export async function makeDomain(
  ctx: ServiceContext,
  attrs: { collectiveId: string; name?: string; status?: 'pending' | 'active' | 'suspended' },
) {
  const [row] = await ctx
    .db('domains')
    .insert({
      name: attrs.name ?? `${unique('dom')}.example`,
      collective_id: attrs.collectiveId,
      status: attrs.status ?? 'active',
      verification_token: crypto.randomBytes(16).toString('hex'),
    })
    .returning('*');
  return row as { id: string; name: string; collective_id: string; status: string };
}

export async function makeMailbox(
  ctx: ServiceContext,
  attrs: {
    domainId: string;
    localPart?: string;
    encryptionMode?: 'generated' | 'public-key' | 'none';
    quotaBytes?: number;
  },
) {
  const [row] = await ctx
    .db('mailboxes')
    .insert({
      domain_id: attrs.domainId,
      local_part: attrs.localPart ?? unique('user'),
      password_hash: await testPasswordHash(),
      encryption_mode: attrs.encryptionMode ?? 'none',
      ...(attrs.quotaBytes ? { quota_bytes: attrs.quotaBytes } : {}),
    })
    .returning('*');
  return row as { id: string; address: string; domain_id: string; local_part: string };
}

/** A collective with an admin, a plain member, an active domain and a mailbox. */
export async function makeTenant(ctx: ServiceContext) {
  const collective = await makeCollective(ctx);
  const admin = await makeAccount(ctx, { collectiveId: collective.id, role: 'admin' });
  const member = await makeAccount(ctx, { collectiveId: collective.id, role: 'member' });
  const domain = await makeDomain(ctx, { collectiveId: collective.id });
  const mailbox = await makeMailbox(ctx, { domainId: domain.id });
  return {
    collective,
    admin,
    member,
    domain,
    mailbox,
    actors: {
      admin: (await loadAccountActor(ctx, admin.id)) as Actor,
      member: (await loadAccountActor(ctx, member.id)) as Actor,
      owner: (await loadMailboxActor(ctx, mailbox.id)) as Actor,
    },
  };
}

export async function makeRacine(ctx: ServiceContext) {
  const account = await makeAccount(ctx, { racine: true });
  return { account, actor: (await loadAccountActor(ctx, account.id)) as Actor };
}

/** An alias made by people (`system: true` for the automatic role aliases). */
export async function makeAlias(
  ctx: ServiceContext,
  attrs: { domainId: string; localPart?: string; destinations: string[]; system?: boolean },
) {
  const [row] = await ctx
    .db('aliases')
    .insert({
      domain_id: attrs.domainId,
      local_part: attrs.localPart ?? unique('alias'),
      destinations: attrs.destinations,
      system: attrs.system ?? false,
    })
    .returning('*');
  return row as { id: string; source: string; local_part: string; destinations: string[] };
}

/** A live API token of a collective: its row id, the clear token and the actor it stands for. */
export async function makeApiToken(ctx: ServiceContext, attrs: { collectiveId: string; name?: string }) {
  const name = attrs.name ?? unique('token');
  const { row, token } = await insertApiToken(ctx, {
    collectiveId: attrs.collectiveId,
    name,
    createdBy: null,
  });
  const actor: Actor = { type: 'token', id: row.id, name, collectiveId: attrs.collectiveId };
  return { id: row.id, token, actor };
}

/** A relay of the outbound pool; by default a plain-SMTP smarthost on loopback. */
export async function makeRelay(
  ctx: ServiceContext,
  attrs: { name?: string; port?: number; [field: string]: unknown } = {},
) {
  return insertRelay(
    ctx,
    createRelaySchema.parse({
      kind: 'smarthost',
      name: unique('relay-'),
      host: '127.0.0.1',
      port: 25,
      tlsMode: 'none',
      ...attrs,
    }),
  );
}

/** A domain's active DKIM keys, as domain creation makes them. */
export const makeDkimKeys = (ctx: ServiceContext, domainId: string) => ensureDomainDkimKey(ctx, domainId);

/**
 * An OpenPGP key pair stamped with the test clock's date, never the real one: the server checks
 * uploaded keys against its injected clock, so a key made "today" would look like it comes from
 * the future of a fixed test clock as soon as the suite runs a day after the clock's date.
 */
export async function makeOpenpgpKey(
  now: Date,
  attrs: { email: string; v6?: boolean; expiresInSeconds?: number },
) {
  return openpgp.generateKey({
    ...(attrs.v6
      ? { type: 'curve25519' as const }
      : { type: 'ecc' as const, curve: 'curve25519Legacy' as const }),
    userIDs: [{ email: attrs.email }],
    date: now,
    ...(attrs.expiresInSeconds ? { keyExpirationTime: attrs.expiresInSeconds } : {}),
    ...(attrs.v6 ? { config: { v6Keys: true } } : {}),
  });
}

/**
 * Runs `fn` while the process believes the real date is `date` (only `Date` is faked; timers
 * run as usual). Tests use it to prove they do not depend on the day the suite runs.
 */
export async function atSystemDate<T>(date: Date, fn: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({
    now: date,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  try {
    return await fn();
  } finally {
    jest.useRealTimers();
  }
}
