import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import type { DomainRow } from '../../domains/find-domain';
import { errors } from '../../errors';
import { DkimKeyRow, insertDkimKey, listLiveDkimKeys, otherSelector } from '../dkim-keys';

/**
 * Racines (and the rotation schedule): starts a rotation, a new key `pending` behind the
 * selector not in use. In delegated mode the platform zone publishes it at once; in TXT mode the
 * owner must publish it (the record plan and the DKIM check say what). It becomes active once
 * visible through the owner's DNS (advanceDkimRotation).
 */
export async function rotateDkimKey(
  ctx: CommandContext,
  domain: Pick<DomainRow, 'id' | 'name' | 'collective_id'>,
): Promise<DkimKeyRow[]> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const keys = await listLiveDkimKeys(ctx, domain.id);
  const active = keys.filter((k) => k.state === 'active');
  if (active.length === 0) {
    throw errors.conflict('dkim_no_active_key', {
      fr: 'Ce domaine n’a pas encore de clé DKIM active.',
      en: 'This domain has no active DKIM key yet.',
    });
  }
  for (const key of active) {
    const selector = otherSelector(key.algorithm, key.selector);
    const blocking = keys.find(
      (k) => k.algorithm === key.algorithm && (k.state === 'pending' || k.selector === selector),
    );
    if (blocking) {
      throw errors.conflict('dkim_rotation_in_progress', {
        fr:
          blocking.state === 'pending'
            ? 'Un renouvellement de clé est déjà en cours.'
            : 'La clé précédente est encore publiée pour le courrier en transit ; réessayez à la fin de sa période de retrait.',
        en:
          blocking.state === 'pending'
            ? 'A key renewal is already in progress.'
            : 'The previous key is still published for mail in transit; try again after its retirement period.',
      });
    }
    const created = await insertDkimKey(ctx, {
      domainId: domain.id,
      algorithm: key.algorithm,
      selector,
      mode: key.mode,
      state: 'pending',
    });
    await recordAudit(ctx, {
      action: 'dkim.rotate',
      targetType: 'dkim_key',
      targetId: created?.id,
      collectiveId: domain.collective_id,
      details: { domain: domain.name, selector, algorithm: key.algorithm, mode: key.mode },
    });
  }
  return listLiveDkimKeys(ctx, domain.id);
}
