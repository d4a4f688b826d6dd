import { errors } from '../errors';

export type Role = 'admin' | 'member';

/** Who is acting. Every mutation is authorized against it and written to the audit log. */
export type Actor =
  | {
      type: 'account';
      id: string;
      email: string;
      racine: boolean;
      /** collective id → role */
      memberships: Map<string, Role>;
      /** A one-time password is still in use: only changing it is allowed. */
      mustChangePassword?: boolean;
      sessionId?: string;
    }
  /** An API token acts as an admin of its one collective. */
  | { type: 'token'; id: string; name: string; collectiveId: string }
  /** A mailbox owner logged in with the mailbox's own address and password. */
  | {
      type: 'mailbox';
      id: string;
      address: string;
      collectiveId: string;
      /** Reset by an admin: the owner chooses a new password before anything else. */
      mustChangePassword?: boolean;
      sessionId?: string;
    }
  /**
   * Someone who is not logged in and presents the recovery code of the mailbox at `address`
   * (the owner who forgot the password). May only recover that mailbox's keys; the code itself
   * is checked by the recovery, which fails unless it opens the mailbox's keys.
   */
  | { type: 'recovery'; address: string }
  /** The CLI and scheduled jobs, run by the racines on the host. */
  | { type: 'system'; label: string };

export function actorLabel(actor: Actor): string {
  switch (actor.type) {
    case 'account':
      return actor.email;
    case 'token':
      return `token:${actor.name}`;
    case 'mailbox':
      return actor.address;
    case 'recovery':
      // Not the owner: whoever held the mailbox's recovery code, without logging in.
      return `recovery-code:${actor.address}`;
    case 'system':
      return actor.label;
  }
}

/** The actor's row id, for the audit log; none for the CLI, jobs and a recovery code. */
export function actorId(actor: Actor): string | null {
  return actor.type === 'system' || actor.type === 'recovery' ? null : actor.id;
}

export function isRacine(actor: Actor): boolean {
  return (actor.type === 'account' && actor.racine) || actor.type === 'system';
}

export function roleIn(actor: Actor, collectiveId: string): Role | undefined {
  if (actor.type === 'account') return actor.memberships.get(collectiveId);
  if (actor.type === 'token' && actor.collectiveId === collectiveId) return 'admin';
  return undefined;
}

export type AccountActor = Extract<Actor, { type: 'account' }>;

/**
 * Refuses an API token what only a person may do: who belongs to a collective, and which
 * tokens exist. A stolen or leaked token must not outlive its revocation by minting a lasting
 * admin or another token.
 */
export function refuseToken(actor: Actor): void {
  if (actor.type === 'token') {
    throw errors.forbidden(undefined, {
      fr: 'Un jeton d’API ne peut gérer ni les membres, ni les invitations, ni les jetons : connectez-vous à un compte.',
      en: 'An API token cannot manage members, invitations or tokens: log in to an account.',
    });
  }
}

/** The actor as a console account; 403 for anyone else (a token, a mailbox owner, the CLI). */
export function accountOnly(actor: Actor): AccountActor {
  if (actor.type !== 'account') {
    throw errors.forbidden(undefined, {
      fr: 'Réservé aux comptes de la console.',
      en: 'Only for console accounts.',
    });
  }
  return actor;
}
