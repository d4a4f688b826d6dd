import type { Readable } from 'node:stream';
import type { SmtpReply } from '../smtp/reply';
import type { CircuitBreakers } from './circuit-breaker';
import type { AttemptResult, RelayTarget } from './relay-transport';

export type RecipientOutcome =
  | { status: 'delivered'; relay: string }
  | { status: 'temporary'; text: string }
  | { status: 'permanent'; code: number; text: string; relay: string };

export interface RouteResult {
  recipients: Map<string, RecipientOutcome>;
  /** The gateway's single answer to Postfix's end of DATA. */
  reply: SmtpReply;
  /** Relays tried, in order, with how each attempt ended (for metrics and logs). */
  attempts: Array<{ relay: string; result: AttemptResult['kind'] | 'skipped' }>;
}

export type SendAttempt = (
  relay: RelayTarget,
  envelope: { from: string; to: string[] },
  message: () => Readable,
) => Promise<AttemptResult>;

/** Enhanced status code (RFC 3463) for a relay's reply, derived from its basic code class. */
function enhanced(code: number): string {
  return code >= 500 ? '5.0.0' : '4.0.0';
}

function stripEnhanced(text: string): { status?: string; rest: string } {
  const m = /^([245]\.\d{1,3}\.\d{1,3})\s+(.*)$/s.exec(text);
  return m ? { status: m[1], rest: m[2] } : { rest: text };
}

/**
 * Tries the relays in order until every recipient is delivered or permanently refused.
 * A relay that cannot be reached, or answers the message with 4xx, passes the remaining
 * recipients to the next relay; a recipient refused with 4xx goes on alone to the next relay;
 * a 5xx is final. The circuit breaker skips relays known dead.
 */
export async function routeMessage(input: {
  relays: RelayTarget[];
  breakers: CircuitBreakers;
  send: SendAttempt;
  from: string;
  recipients: string[];
  message: () => Readable;
}): Promise<RouteResult> {
  const outcomes = new Map<string, RecipientOutcome>();
  const attempts: RouteResult['attempts'] = [];
  let pending = [...input.recipients];
  let lastTemporary = 'no relay available';

  for (const relay of input.relays) {
    if (pending.length === 0) break;
    if (!input.breakers.tryAcquire(relay.id)) {
      attempts.push({ relay: relay.name, result: 'skipped' });
      continue;
    }
    const result = await input.send(relay, { from: input.from, to: pending }, input.message);
    attempts.push({ relay: relay.name, result: result.kind });
    if (result.kind === 'unreachable' || (result.kind === 'refused' && result.code < 500)) {
      input.breakers.failure(relay.id);
      lastTemporary = `relay ${relay.name}: ${result.text}`;
      continue;
    }
    input.breakers.success(relay.id);
    if (result.kind === 'refused') {
      for (const r of pending)
        outcomes.set(r, { status: 'permanent', code: result.code, text: result.text, relay: relay.name });
      pending = [];
      break;
    }
    const accepted = new Set(result.accepted.map((a) => a.toLowerCase()));
    const refused = new Map(result.rejected.map((r) => [r.recipient.toLowerCase(), r]));
    const next: string[] = [];
    for (const r of pending) {
      const key = r.toLowerCase();
      const refusal = refused.get(key);
      if (accepted.has(key)) outcomes.set(r, { status: 'delivered', relay: relay.name });
      else if (refusal && refusal.code >= 500)
        outcomes.set(r, { status: 'permanent', code: refusal.code, text: refusal.text, relay: relay.name });
      else {
        // Refused with 4xx, or not mentioned at all: not delivered, so try the next relay.
        if (refusal) lastTemporary = `relay ${relay.name}: ${refusal.text}`;
        next.push(r);
      }
    }
    pending = next;
  }
  for (const r of pending) outcomes.set(r, { status: 'temporary', text: lastTemporary });
  return { recipients: outcomes, reply: replyFor(outcomes), attempts };
}

/**
 * RFC 5321 §3.3: after DATA, SMTP has one reply for the whole transaction, and Postfix applies
 * it to every recipient. So: all delivered → 250; any recipient not yet delivered for a
 * temporary reason → 451, and Postfix retries them all (a delivered recipient may then get a
 * second copy: a duplicate, never a loss); only permanent refusals left → 5xx with the relay's
 * text, so Postfix bounces to the sender. Postfix's `*_destination_recipient_limit = 1` on the
 * content_filter transport makes every transaction single-recipient, and this exact.
 */
export function replyFor(outcomes: Map<string, RecipientOutcome>): SmtpReply {
  const all = [...outcomes.entries()];
  const delivered = all.filter(([, o]) => o.status === 'delivered');
  const temporary = all.filter(([, o]) => o.status === 'temporary');
  const permanent = all.filter(([, o]) => o.status === 'permanent') as Array<
    [string, Extract<RecipientOutcome, { status: 'permanent' }>]
  >;
  if (delivered.length === all.length) {
    const via = [...new Set(delivered.map(([, o]) => (o as { relay: string }).relay))].join(', ');
    return { code: 250, text: `2.0.0 Ok: relayed via ${via}` };
  }
  if (temporary.length > 0) {
    const first = temporary[0][1] as { text: string };
    return { code: 451, text: `4.4.1 Relaying deferred: ${first.text}` };
  }
  const [recipient, refusal] = permanent[0];
  const { status, rest } = stripEnhanced(refusal.text);
  const others = delivered.length > 0 ? ' (the other recipients were delivered)' : '';
  const who = all.length > 1 ? `<${recipient}>: ` : '';
  return {
    code: refusal.code,
    text: `${status ?? enhanced(refusal.code)} relay ${refusal.relay} refused ${who}${rest}${others}`,
  };
}
