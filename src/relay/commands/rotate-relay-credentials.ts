import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { errors } from '../../errors';
import { lockRelay, RelayRow, setRelayCredentials } from '../relays';

/** Replaces a smarthost's SMTP AUTH credentials (the password is never shown nor audited). */
export async function rotateRelayCredentials(
  ctx: CommandContext,
  name: string,
  credentials: { username: string; password: string },
): Promise<RelayRow> {
  authorize(ctx.actor, 'manage', { type: 'platform' });
  const before = await lockRelay(ctx, name);
  if (before.kind !== 'smarthost') {
    throw errors.badRequest('relay_no_credentials', {
      fr: 'Un relais direct n’a pas d’identifiants.',
      en: 'A direct relay has no credentials.',
    });
  }
  const after = await setRelayCredentials(ctx, before.id, credentials);
  await recordAudit(ctx, {
    action: 'relay.rotate_credentials',
    targetType: 'relay',
    targetId: before.id,
    details: { name, username: { before: before.username, after: credentials.username } },
  });
  return after;
}
