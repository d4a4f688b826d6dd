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
  | { type: 'mailbox'; id: string; address: string; collectiveId: string; sessionId?: string }
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
    case 'system':
      return actor.label;
  }
}

export function isRacine(actor: Actor): boolean {
  return (actor.type === 'account' && actor.racine) || actor.type === 'system';
}

export function roleIn(actor: Actor, collectiveId: string): Role | undefined {
  if (actor.type === 'account') return actor.memberships.get(collectiveId);
  if (actor.type === 'token' && actor.collectiveId === collectiveId) return 'admin';
  return undefined;
}
