import type { Role } from '../auth/actor';
import { hashToken, newSecretToken } from '../auth/tokens';
import type { ServiceContext } from '../context';

/** Invitations to a collective: the one module that writes the `invitations` table. */
export interface InvitationRow {
  id: string;
  collective_id: string;
  email: string;
  role: Role;
  created_at: Date;
  expires_at: Date;
}

/** An invitation with the collective it opens, as the invited person sees it. */
export type InvitationWithCollective = InvitationRow & { collective_slug: string; collective_name: string };

const COLUMNS = ['id', 'collective_id', 'email', 'role', 'created_at', 'expires_at'];
const I_COLUMNS = COLUMNS.map((c) => `i.${c}`);

/** Seven days: long enough for a busy volunteer, short enough that a forgotten one dies. */
export const INVITATION_DAYS = 7;
export const INVITATION_PREFIX = 'gfi_';

/** Never the code, not even hashed. */
export function presentInvitation(i: InvitationRow | InvitationWithCollective) {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    createdAt: i.created_at,
    expiresAt: i.expires_at,
    ...('collective_slug' in i ? { collective: { slug: i.collective_slug, name: i.collective_name } } : {}),
  };
}

/**
 * Invites `email` (again): one pending invitation per person and collective, a fresh code and
 * expiry each time. The clear code is returned once, for the e-mail, and never stored.
 */
export async function upsertInvitation(
  ctx: ServiceContext,
  input: { collectiveId: string; email: string; role: Role },
): Promise<{ row: InvitationRow; code: string }> {
  const { token, hash } = newSecretToken(INVITATION_PREFIX);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + INVITATION_DAYS * 86400_000);
  const [row] = await ctx
    .db('invitations')
    .insert({
      collective_id: input.collectiveId,
      email: input.email,
      role: input.role,
      token_hash: hash,
      created_at: now,
      expires_at: expiresAt,
    })
    .onConflict(['collective_id', 'email'])
    .merge(['role', 'token_hash', 'created_at', 'expires_at'])
    .returning(COLUMNS);
  return { row, code: token };
}

const withCollective = (ctx: ServiceContext) =>
  ctx
    .db('invitations as i')
    .join('collectives as c', 'c.id', 'i.collective_id')
    .select([...I_COLUMNS, 'c.slug as collective_slug', 'c.name as collective_name']);

/** A collective's pending invitations (expired ones included, so admins see them lapse). */
export async function listInvitations(ctx: ServiceContext, collectiveId: string): Promise<InvitationRow[]> {
  return ctx.db('invitations').where({ collective_id: collectiveId }).orderBy('email').select(COLUMNS);
}

/** The live invitations addressed to `email`, for the person who holds it. */
export async function invitationsForEmail(
  ctx: ServiceContext,
  email: string,
): Promise<InvitationWithCollective[]> {
  return withCollective(ctx).where('i.email', email).where('i.expires_at', '>', ctx.now()).orderBy('c.slug');
}

/** The live invitation `id` addressed to `email`, its row locked for the caller's change. */
export async function lockInvitationFor(
  ctx: ServiceContext,
  id: string,
  email: string,
): Promise<InvitationWithCollective | undefined> {
  return withCollective(ctx)
    .where({ 'i.id': id, 'i.email': email })
    .where('i.expires_at', '>', ctx.now())
    .forUpdate('i')
    .first();
}

/** The live invitation whose code this is, its row locked for the caller's change. */
export async function lockInvitationByCode(
  ctx: ServiceContext,
  code: string,
): Promise<InvitationWithCollective | undefined> {
  if (!code.startsWith(INVITATION_PREFIX)) return undefined;
  return withCollective(ctx)
    .where('i.token_hash', hashToken(code))
    .where('i.expires_at', '>', ctx.now())
    .forUpdate('i')
    .first();
}

/** Deletes one of the collective's invitations; whether there was one. */
export async function deleteInvitation(
  ctx: ServiceContext,
  id: string,
  collectiveId?: string,
): Promise<boolean> {
  const q = ctx.db('invitations').where({ id });
  if (collectiveId) q.where({ collective_id: collectiveId });
  return (await q.delete()) > 0;
}
