import { actorLabel, isRacine, refuseToken, Role } from '../../auth/actor';
import { authorize } from '../../auth/authorize';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext } from '../../context';
import { afterCommit } from '../../db/transaction';
import { webLink } from '../../config';
import { errors } from '../../errors';
import { logger } from '../../logger';
import { sendNotice } from '../../notify/send-notice';
import type { CollectiveRow } from '../collectives';
import { InvitationRow, upsertInvitation } from '../invitations';
import { isMemberByEmail } from '../members';

const ROLE = { admin: { fr: 'administrateur·ice', en: 'admin' }, member: { fr: 'membre', en: 'member' } };

/**
 * Invites someone by e-mail to join the collective. Nobody joins without consent: the person
 * accepts, logged in to the account with that address, or with the code sent to the address
 * (which creates the account, with the password the person chooses). The answer is the same
 * whether or not the address has an account. The code goes by mail only; it is returned here
 * for the CLI, whose racine hands it over on a platform that cannot send mail yet. Tokens may
 * not invite (refuseToken).
 */
export async function inviteMember(
  ctx: CommandContext,
  collective: CollectiveRow,
  input: { email: string; role: Role },
): Promise<{ invitation: InvitationRow; code: string }> {
  authorize(ctx.actor, 'manage', { type: 'collective', collectiveId: collective.id });
  refuseToken(ctx.actor);
  if (await isMemberByEmail(ctx, collective.id, input.email)) {
    throw errors.conflict('already_member', {
      fr: 'Cette personne est déjà membre du collectif.',
      en: 'This person is already a member of the collective.',
    });
  }
  const { row, code } = await upsertInvitation(ctx, { collectiveId: collective.id, ...input });
  await recordAudit(ctx, {
    action: 'member.invite',
    targetType: 'invitation',
    targetId: row.id,
    collectiveId: collective.id,
    details: { email: row.email, role: row.role },
  });
  const by = isRacine(ctx.actor) && ctx.actor.type === 'system' ? null : actorLabel(ctx.actor);
  const until = row.expires_at.toISOString().slice(0, 10);
  const role = ROLE[row.role];
  const login = webLink(ctx.config, '/login');
  // The code after '#': a browser never sends it to a server, so it stays out of access logs.
  const join = `${webLink(ctx.config, '/join')}#${code}`;
  await afterCommit(ctx.db, () =>
    sendNotice(ctx, {
      to: [row.email],
      subject: {
        fr: `Invitation à rejoindre ${collective.name} sur giroflee`,
        en: `Invitation to join ${collective.name} on giroflee`,
      },
      text: {
        fr: [
          `${by ?? 'Une racine de la plateforme'} vous invite à rejoindre le collectif « ${collective.name} » (${collective.slug}) sur giroflee, comme ${role.fr}.`,
          `Si vous avez déjà un compte giroflee à cette adresse, connectez-vous sur ${login} : l’invitation vous attend sur l’accueil de la console, acceptez-la ou refusez-la.`,
          `Sinon, créez votre compte en suivant ce lien, valable jusqu’au ${until} : ${join}`,
          `(Le code : ${code} ; par l’API : POST /api/v1/invitations/accept avec {"code": "…", "password": "le mot de passe de votre choix"}.)`,
          `Si vous n’attendiez pas cette invitation, ignorez ce message : rien ne se fera sans vous.`,
        ].join('\n'),
        en: [
          `${by ?? 'A racine of the platform'} invites you to join the collective "${collective.name}" (${collective.slug}) on giroflee, as ${role.en}.`,
          `If you already have a giroflee account with this address, log in at ${login}: the invitation waits for you on the console's home page; accept or decline it.`,
          `Otherwise, create your account by following this link, valid until ${until}: ${join}`,
          `(The code: ${code}; through the API: POST /api/v1/invitations/accept with {"code": "…", "password": "a password of your choice"}.)`,
          `If you did not expect this invitation, ignore this message: nothing happens without you.`,
        ].join('\n'),
      },
    }).catch((err) => logger.warn({ err }, 'invitation not sent')),
  );
  return { invitation: row, code };
}
