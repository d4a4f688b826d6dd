import crypto from 'node:crypto';
import * as openpgp from 'openpgp';
import type { Actor } from '../../src/auth/actor';
import { loadAccountActor, loadMailboxActor } from '../../src/auth/sessions';
import { hashPassword } from '../../src/auth/password-hash';
import type { Db } from '../../src/db/knex';

let seq = 0;
const unique = (p: string) => `${p}${++seq}${crypto.randomBytes(2).toString('hex')}`;

export const TEST_PASSWORD = 'correct horse battery staple';
// One argon2 hash for every factory row: hashing costs ~18 ms each.
let hashed: Promise<string> | undefined;
export const testPasswordHash = () => (hashed ??= hashPassword(TEST_PASSWORD));

export async function makeCollective(db: Db, attrs: { slug?: string; name?: string } = {}) {
  const slug = attrs.slug ?? unique('coll');
  const [row] = await db('collectives')
    .insert({ slug, name: attrs.name ?? `Collectif ${slug}` })
    .returning('*');
  return row as { id: string; slug: string; name: string };
}

export async function makeAccount(
  db: Db,
  attrs: { email?: string; racine?: boolean; collectiveId?: string; role?: 'admin' | 'member' } = {},
) {
  const [row] = await db('accounts')
    .insert({
      email: attrs.email ?? `${unique('person')}@example.org`,
      password_hash: await testPasswordHash(),
      is_racine: attrs.racine ?? false,
    })
    .returning('*');
  if (attrs.collectiveId) {
    await db('memberships').insert({
      account_id: row.id,
      collective_id: attrs.collectiveId,
      role: attrs.role ?? 'admin',
    });
  }
  return row as { id: string; email: string };
}

export async function makeDomain(
  db: Db,
  attrs: { collectiveId: string; name?: string; status?: 'pending' | 'active' | 'suspended' },
) {
  const [row] = await db('domains')
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
  db: Db,
  attrs: {
    domainId: string;
    localPart?: string;
    encryptionMode?: 'generated' | 'public-key' | 'none';
    quotaBytes?: number;
  },
) {
  const [row] = await db('mailboxes')
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
export async function makeTenant(db: Db) {
  const collective = await makeCollective(db);
  const admin = await makeAccount(db, { collectiveId: collective.id, role: 'admin' });
  const member = await makeAccount(db, { collectiveId: collective.id, role: 'member' });
  const domain = await makeDomain(db, { collectiveId: collective.id });
  const mailbox = await makeMailbox(db, { domainId: domain.id });
  return {
    collective,
    admin,
    member,
    domain,
    mailbox,
    actors: {
      admin: (await loadAccountActor(db, admin.id)) as Actor,
      member: (await loadAccountActor(db, member.id)) as Actor,
      owner: (await loadMailboxActor(db, mailbox.id)) as Actor,
    },
  };
}

export async function makeRacine(db: Db) {
  const account = await makeAccount(db, { racine: true });
  return { account, actor: (await loadAccountActor(db, account.id)) as Actor };
}

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
