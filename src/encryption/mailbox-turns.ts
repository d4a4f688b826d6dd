import type { SmtpReply } from '../smtp/reply';
import type { TransactionDeps } from './deliver-transaction';

/**
 * Turns per key (a mailbox's address), first come first served: whoever holds a key's turn runs
 * alone for that key; other keys are free.
 */
export class MailboxTurns {
  /** A key is taken while it is in the map; its array holds who waits for it, in order. */
  private readonly waiting = new Map<string, Array<() => void>>();

  /**
   * Waits until every key's turn came and holds them all; resolves to the function that gives
   * them back. Keys are taken one by one in sorted order, so two holders of several keys never
   * wait on each other. After `waitMs` it gives back what it took and resolves to undefined.
   */
  async take(keys: string[], waitMs: number): Promise<(() => void) | undefined> {
    const sorted = [...new Set(keys)].sort();
    const deadline = Date.now() + waitMs;
    const held: string[] = [];
    const giveBack = () => {
      for (const key of held.splice(0)) this.giveOne(key);
    };
    for (const key of sorted) {
      if (!(await this.takeOne(key, deadline))) {
        giveBack();
        return undefined;
      }
      held.push(key);
    }
    return giveBack;
  }

  /** How many keys are taken (tests). */
  get taken(): number {
    return this.waiting.size;
  }

  private takeOne(key: string, deadline: number): Promise<boolean> {
    const queue = this.waiting.get(key);
    if (!queue) {
      this.waiting.set(key, []);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const turn = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          queue.splice(queue.indexOf(turn), 1);
          resolve(false);
        },
        Math.max(0, deadline - Date.now()),
      );
      queue.push(turn);
    });
  }

  /** The next in line gets the key's turn; with nobody waiting the key is free. */
  private giveOne(key: string): void {
    const queue = this.waiting.get(key)!;
    const next = queue.shift();
    if (next) next();
    else this.waiting.delete(key);
  }
}

type Deliver = TransactionDeps['deliver'];

/**
 * One delivery at a time per mailbox to Dovecot. Its Sieve `duplicate` test (RFC 7352), which
 * discards a retry of a delivery already stored (delivery-id.ts), keeps the ids in one file per
 * mailbox; Dovecot 2.3 rewrites that file at the end of each delivery from the list it read when
 * the delivery began, without reading it again under the file's lock (lib-storage's
 * mail-duplicate.c, 2.3.19), so two deliveries to one mailbox at once can drop each other's id,
 * and Postfix's retry of that message would then be stored twice. Dovecot's own limit
 * (`lmtp_user_concurrency_limit`) would not do: above it, 2.3 answers 451 at RCPT, and Postfix
 * backs off for minutes. Here a second message for a mailbox waits until Dovecot has answered
 * the first (by then the id is written); other mailboxes keep their parallelism, encryption
 * runs before the wait, and a connection to Dovecot is taken only once the turn came. A wait
 * longer than `waitMs` answers 451 4.4.5 (RFC 3463: congestion): Postfix keeps the message.
 * This holds within one gateway process; several gateways in front of one Dovecot would each
 * keep their own turns.
 */
export function oneDeliveryPerMailbox(deliver: Deliver, turns: MailboxTurns, waitMs: number): Deliver {
  return async (from, to, payload) => {
    const giveBack = await turns.take(to, waitMs);
    if (!giveBack) {
      const later: SmtpReply = {
        code: 451,
        text: '4.4.5 too many deliveries to this mailbox at once, try again later',
      };
      return new Map(to.map((r) => [r, later]));
    }
    try {
      return await deliver(from, to, payload);
    } finally {
      giveBack();
    }
  };
}
