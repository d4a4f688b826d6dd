import { accountOnly, AccountActor } from '../../auth/actor';
import { assertPasswordPolicy } from '../../auth/password-policy';
import {
  accountCreated,
  AccountRow,
  findAccountByEmail,
  insertAccountWithPassword,
} from '../../accounts/accounts';
import { recordAudit } from '../../audit/record-audit';
import type { CommandContext, ServiceContext } from '../../context';
import { errors } from '../../errors';
import {
  deleteInvitation,
  InvitationWithCollective,
  lockInvitationByCode,
  lockInvitationFor,
} from '../invitations';
import { insertMembership } from '../members';

/*
 * The invited person answers. These commands authorize by the invitation itself: it names the
 * address, and only the holder of that address (logged in to its account, or holding the code
 * mailed to it) can answer it.
 */

async function join(ctx: CommandContext, invitation: InvitationWithCollective, accountId: string) {
  await insertMembership(ctx, { accountId, collectiveId: invitation.collective_id, role: invitation.role });
  await deleteInvitation(ctx, invitation.id);
  await recordAudit(ctx, {
    action: 'member.add',
    targetType: 'account',
    targetId: accountId,
    collectiveId: invitation.collective_id,
    details: { email: invitation.email, role: invitation.role, basis: 'invitation' },
  });
}

const noSuchInvitation = () =>
  errors.notFound(undefined, {
    fr: 'Invitation introuvable ou expirée.',
    en: 'No such invitation, or it expired.',
  });

/** A logged-in account accepts an invitation addressed to its own e-mail. */
export async function acceptInvitation(ctx: CommandContext, id: string): Promise<InvitationWithCollective> {
  const account = accountOnly(ctx.actor);
  const invitation = await lockInvitationFor(ctx, id, account.email);
  if (!invitation) throw noSuchInvitation();
  await join(ctx, invitation, account.id);
  return invitation;
}

/** A logged-in account declines an invitation addressed to its own e-mail. */
export async function declineInvitation(ctx: CommandContext, id: string): Promise<void> {
  const account = accountOnly(ctx.actor);
  const invitation = await lockInvitationFor(ctx, id, account.email);
  if (!invitation) throw noSuchInvitation();
  await deleteInvitation(ctx, invitation.id);
  await recordAudit(ctx, {
    action: 'member.invite.decline',
    targetType: 'invitation',
    targetId: invitation.id,
    collectiveId: invitation.collective_id,
    details: { email: invitation.email },
  });
}

/**
 * Someone without an account presents the code mailed to the invited address: the account is
 * created with the password they choose, and joins. An address that has an account already
 * must log in and accept instead (the code proves the address, not the account's password).
 */
export async function joinWithInvitation(
  ctx: ServiceContext,
  input: { code: string; password: string },
): Promise<{ account: AccountRow; invitation: InvitationWithCollective }> {
  const invitation = await lockInvitationByCode(ctx, input.code);
  if (!invitation) throw noSuchInvitation();
  if (await findAccountByEmail(ctx, invitation.email)) {
    throw errors.conflict('account_exists', {
      fr: 'Un compte existe déjà à cette adresse : connectez-vous et acceptez l’invitation (GET /api/v1/me/invitations).',
      en: 'An account already exists with this address: log in and accept the invitation (GET /api/v1/me/invitations).',
    });
  }
  assertPasswordPolicy(input.password, {
    login: invitation.email,
    inputs: [invitation.collective_name, invitation.collective_slug],
  });
  const account = await insertAccountWithPassword(ctx, { email: invitation.email, password: input.password });
  const actor: AccountActor = {
    type: 'account',
    id: account.id,
    email: account.email,
    racine: false,
    memberships: new Map(),
  };
  const asAccount: CommandContext = { ...ctx, actor };
  await recordAudit(asAccount, accountCreated(account));
  await join(asAccount, invitation, account.id);
  return { account, invitation };
}
