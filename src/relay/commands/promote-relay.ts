import { authorize } from '../../auth/authorize';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { firstPrimaryPriority, lockRelay, RelayRow } from '../relays';
import { updateRelay } from './update-relay';

/** A fallback becomes a primary, ahead of every current primary. */
export async function promoteRelay(ctx: CommandContext, name: string): Promise<RelayRow> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const relay = await lockRelay(ctx, name);
  if (relay.role === 'primary') {
    throw errors.conflict('relay_already_primary', {
      fr: 'Ce relais est déjà principal.',
      en: 'This relay is already a primary.',
    });
  }
  const first = (await firstPrimaryPriority(ctx)) ?? relay.priority + 1;
  const priority = Math.max(0, Math.min(relay.priority, first - 1));
  return updateRelay(ctx, name, { role: 'primary', priority }, 'relay.promote');
}
