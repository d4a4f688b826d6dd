import { errors } from '../errors';
import { Actor, isRacine, roleIn } from './actor';

/**
 * What an actor may do to a subject. A subject the actor may not even read answers 404, so
 * the existence of another collective's resources never leaks; a readable subject with a
 * forbidden action answers 403.
 */
export type Subject =
  | { type: 'platform' }
  | { type: 'collective'; collectiveId: string }
  | { type: 'domain'; collectiveId: string }
  | { type: 'mailbox'; collectiveId: string; mailboxId: string; address: string }
  | { type: 'alias'; collectiveId: string };

/** `owner`: only the mailbox's own login; `recover`: only the holder of its recovery code. */
export type Action = 'read' | 'create' | 'update' | 'delete' | 'manage' | 'owner' | 'recover';

const isOwnMailbox = (actor: Actor, subject: Subject): boolean =>
  subject.type === 'mailbox' &&
  ((actor.type === 'mailbox' && subject.mailboxId === actor.id) ||
    (actor.type === 'recovery' && subject.address === actor.address));

function canRead(actor: Actor, subject: Subject): boolean {
  if (isRacine(actor)) return true;
  if (subject.type === 'platform') return false;
  if (actor.type === 'mailbox' || actor.type === 'recovery') return isOwnMailbox(actor, subject);
  return roleIn(actor, subject.collectiveId) !== undefined;
}

function can(actor: Actor, action: Action, subject: Subject): boolean {
  // A recovery code opens its mailbox for one action only, which no other credential can perform.
  if (actor.type === 'recovery')
    return (action === 'read' || action === 'recover') && isOwnMailbox(actor, subject);
  if (action === 'recover') return false;
  // Only the owner may act as the owner (change a password knowing the current one, read the
  // wrapped private keys): not even a racine.
  if (action === 'owner') return actor.type === 'mailbox' && isOwnMailbox(actor, subject);
  if (isRacine(actor)) return true;
  if (subject.type === 'platform') return false;
  if (action === 'read') return canRead(actor, subject);
  if (actor.type === 'mailbox') return isOwnMailbox(actor, subject) && action === 'update';
  if (subject.type === 'collective' && (action === 'create' || action === 'delete')) return false;
  return roleIn(actor, subject.collectiveId) === 'admin';
}

export function authorize(actor: Actor, action: Action, subject: Subject): void {
  if (can(actor, action, subject)) return;
  // Racine-only actions hide nothing: say plainly that they are forbidden.
  throw subject.type === 'platform' || canRead(actor, subject) ? errors.forbidden() : errors.notFound();
}

export function allowed(actor: Actor, action: Action, subject: Subject): boolean {
  return can(actor, action, subject);
}
