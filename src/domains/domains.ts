import crypto from 'node:crypto';
import { domainToUnicode } from 'node:url';
import type { Actor } from '../auth/actor';
import { recordAudit } from '../audit/record-audit';
import type { Db } from '../db/knex';
import { errors } from '../errors';
import type { DomainName } from '../names/domain-name';
import type { DomainRow } from './find-domain';

/** The TXT record that proves a collective controls a domain. */
export function verificationRecord(d: Pick<DomainRow, 'name' | 'verification_token'>) {
  return {
    type: 'TXT' as const,
    name: `_giroflee.${d.name}`,
    value: `giroflee-verification=${d.verification_token}`,
  };
}

export function presentDomain(d: DomainRow & { collective_slug?: string }) {
  return {
    id: d.id,
    name: d.name,
    unicodeName: domainToUnicode(d.name),
    collective: d.collective_slug,
    status: d.status,
    verification: d.status === 'pending' ? verificationRecord(d) : null,
    verifiedAt: d.verified_at,
    lastCheck: d.last_check ?? null,
    lastCheckedAt: d.last_checked_at,
    createdAt: d.created_at,
  };
}

/** RFC 2142: every domain that receives mail must take postmaster@ and abuse@. */
export const ROLE_ADDRESSES = ['postmaster', 'abuse'] as const;

/** Every suffix of a name that could be a registered parent: a.b.example.org → b.example.org, example.org. */
function parentNames(name: string): string[] {
  const labels = name.split('.');
  const out: string[] = [];
  for (let i = 1; i < labels.length - 1; i++) out.push(labels.slice(i).join('.'));
  return out;
}

export async function createDomain(
  db: Db,
  actor: Actor,
  collective: { id: string; slug: string },
  name: DomainName,
): Promise<DomainRow & { collective_slug: string }> {
  // Serialize claims on one name so the checks below and the insert see the same world.
  await db.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`domain:${name}`]);
  const held = await db('domains').where({ name }).whereNot({ status: 'pending' }).first('collective_id');
  if (held && held.collective_id !== collective.id) {
    throw errors.conflict('domain_taken', {
      fr: 'Ce domaine est déjà utilisé par un autre collectif. S’il vous appartient, écrivez aux racines.',
      en: 'This domain is already used by another collective. If it is yours, write to the racines.',
    });
  }
  const parents = parentNames(name);
  if (parents.length) {
    const parent = await db('domains')
      .whereIn('name', parents)
      .whereNot({ status: 'pending' })
      .whereNot({ collective_id: collective.id })
      .first('name');
    if (parent) {
      throw errors.conflict('parent_domain_taken', {
        fr: `Ce nom est un sous-domaine de ${parent.name}, qui appartient à un autre collectif.`,
        en: `This name is a subdomain of ${parent.name}, which belongs to another collective.`,
      });
    }
  }
  const [row] = await db('domains')
    .insert({
      name,
      collective_id: collective.id,
      verification_token: crypto.randomBytes(20).toString('hex'),
    })
    .returning('*');

  const admins: string[] = (
    await db('memberships as m')
      .join('accounts as a', 'a.id', 'm.account_id')
      .where({ 'm.collective_id': collective.id, 'm.role': 'admin' })
      .orderBy('a.email')
      .select('a.email')
  ).map((r: { email: string }) => r.email);
  if (admins.length === 0 && actor.type === 'account') admins.push(actor.email);
  if (admins.length) {
    await db('aliases').insert(
      ROLE_ADDRESSES.map((local_part) => ({
        domain_id: row.id,
        local_part,
        destinations: admins,
        system: true,
      })),
    );
  }
  await recordAudit(db, actor, {
    action: 'domain.create',
    targetType: 'domain',
    targetId: row.id,
    collectiveId: collective.id,
    details: { name, roleAliasesTo: admins },
  });
  return { ...row, collective_slug: collective.slug };
}

export async function listDomains(
  db: Db,
  collectiveId: string,
): Promise<Array<DomainRow & { collective_slug: string }>> {
  return db('domains as d')
    .join('collectives as c', 'c.id', 'd.collective_id')
    .where('d.collective_id', collectiveId)
    .orderBy('d.name')
    .select('d.*', 'c.slug as collective_slug');
}

export async function collectiveSlug(db: Db, collectiveId: string): Promise<string> {
  return (await db('collectives').where({ id: collectiveId }).first('slug')).slug;
}

/** Refused while mailboxes exist, unless a racine forces it (mailboxes and aliases go with it). */
export async function deleteDomain(db: Db, actor: Actor, domain: DomainRow, force: boolean): Promise<void> {
  const [{ n }] = await db('mailboxes').where({ domain_id: domain.id }).count({ n: '*' });
  if (Number(n) > 0 && !force) {
    throw errors.conflict(
      'domain_has_mailboxes',
      {
        fr: `Le domaine a encore ${n} boîte(s) aux lettres ; supprimez-les d’abord (ou une racine peut forcer).`,
        en: `The domain still has ${n} mailbox(es); delete them first (or a racine may force it).`,
      },
      { mailboxes: Number(n) },
    );
  }
  await db('domains').where({ id: domain.id }).delete();
  await recordAudit(db, actor, {
    action: 'domain.delete',
    targetType: 'domain',
    targetId: domain.id,
    collectiveId: domain.collective_id,
    details: { name: domain.name, status: domain.status, forced: force, mailboxesDeleted: Number(n) },
  });
}
