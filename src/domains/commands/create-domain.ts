import { authorize } from '../../auth/authorize';
import { insertRoleAliases } from '../../aliases/aliases';
import { recordAudit } from '../../audit/record-audit';
import type { CollectiveRow } from '../../collectives/collectives';
import { adminEmails } from '../../collectives/members';
import type { CommandContext } from '../../context';
import { ensureDomainDkimKey } from '../../dns/dkim-keys';
import type { DomainName } from '../../names/domain-name';
import { assertNameClaimable, insertDomain, lockDomainName } from '../domains';
import type { DomainRow } from '../find-domain';

/**
 * Links a domain to a collective: a pending claim with the TXT record that proves ownership,
 * its role addresses forwarded to the collective's admins, and its first DKIM keys (so the
 * platform zone publishes them before the owner even proves the domain).
 */
export async function createDomain(
  ctx: CommandContext,
  collective: Pick<CollectiveRow, 'id' | 'slug'>,
  name: DomainName,
): Promise<DomainRow & { collective_slug: string }> {
  const { actor } = ctx;
  authorize(actor, 'manage', { type: 'collective', collectiveId: collective.id });
  // Serialize claims on one name so the checks below and the insert see the same world.
  await lockDomainName(ctx, name);
  await assertNameClaimable(ctx, collective.id, name);
  const row = await insertDomain(ctx, { name, collectiveId: collective.id });
  const admins = await adminEmails(ctx, collective.id);
  if (admins.length === 0 && actor.type === 'account') admins.push(actor.email);
  if (admins.length) await insertRoleAliases(ctx, row.id, admins);
  await ensureDomainDkimKey(ctx, row.id);
  await recordAudit(ctx, {
    action: 'domain.create',
    targetType: 'domain',
    targetId: row.id,
    collectiveId: collective.id,
    details: { name, roleAliasesTo: admins },
  });
  return { ...row, collective_slug: collective.slug };
}
