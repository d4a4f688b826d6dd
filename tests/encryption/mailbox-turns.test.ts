import type { Payload } from '../../src/encryption/deliver-transaction';
import { MailboxTurns, oneDeliveryPerMailbox } from '../../src/encryption/mailbox-turns';
import type { SmtpReply } from '../../src/smtp/reply';

/**
 * A next hop that holds every delivery until the test ends it: it records which recipients are
 * being delivered at each moment.
 */
function heldNextHop() {
  const inFlight: string[][] = [];
  const started: string[] = [];
  const pending = new Map<string, (outcome: 'ok' | 'throw') => void>();
  const deliver = (_from: string, to: string[], payload: Payload): Promise<Map<string, SmtpReply>> => {
    const name = (payload as Buffer).toString();
    inFlight.push(to);
    started.push(name);
    return new Promise((resolve, reject) => {
      pending.set(name, (outcome) => {
        inFlight.splice(inFlight.indexOf(to), 1);
        pending.delete(name);
        if (outcome === 'throw') reject(new Error('next hop failed'));
        else resolve(new Map(to.map((r) => [r, { code: 250, text: `2.0.0 <${r}> stored` }])));
      });
    });
  };
  /** Ends a held delivery, then lets the turns move on. */
  const finish = async (name: string, outcome: 'ok' | 'throw' = 'ok') => {
    pending.get(name)!(outcome);
    await settle();
  };
  return { deliver, inFlight, started, finish };
}

/** Lets every promise chain that can move on, move on. */
const settle = () => new Promise((r) => setImmediate(r));

const WAIT_MS = 60_000;

describe('oneDeliveryPerMailbox (one delivery at a time per mailbox to Dovecot)', () => {
  afterEach(() => jest.useRealTimers());

  it('holds a second delivery to a mailbox until the first was answered, then delivers in arrival order', async () => {
    const hop = heldNextHop();
    const deliver = oneDeliveryPerMailbox(hop.deliver, new MailboxTurns(), WAIT_MS);
    const replies = ['m1', 'm2', 'm3'].map((m) => deliver('s@remote.example', ['a@x.test'], Buffer.from(m)));
    await settle();
    expect(hop.started).toEqual(['m1']);
    await hop.finish('m1');
    expect(hop.started).toEqual(['m1', 'm2']);
    await hop.finish('m2');
    await hop.finish('m3');
    expect(hop.started).toEqual(['m1', 'm2', 'm3']);
    for (const r of await Promise.all(replies)) expect(r.get('a@x.test')?.code).toBe(250);
  });

  it('keeps deliveries to other mailboxes parallel', async () => {
    const hop = heldNextHop();
    const deliver = oneDeliveryPerMailbox(hop.deliver, new MailboxTurns(), WAIT_MS);
    void deliver('s@remote.example', ['a@x.test'], Buffer.from('to-a'));
    void deliver('s@remote.example', ['b@x.test'], Buffer.from('to-b'));
    void deliver('s@remote.example', ['c@x.test'], Buffer.from('to-c'));
    await settle();
    expect(hop.inFlight).toEqual([['a@x.test'], ['b@x.test'], ['c@x.test']]);
  });

  it('delivers two transactions naming the same mailboxes in opposite orders, one after the other, without deadlock', async () => {
    const hop = heldNextHop();
    const turns = new MailboxTurns();
    const deliver = oneDeliveryPerMailbox(hop.deliver, turns, WAIT_MS);
    const ab = deliver('s@remote.example', ['a@x.test', 'b@x.test'], Buffer.from('ab'));
    const ba = deliver('s@remote.example', ['b@x.test', 'a@x.test'], Buffer.from('ba'));
    await settle();
    expect(hop.started).toEqual(['ab']);
    await hop.finish('ab');
    expect(hop.started).toEqual(['ab', 'ba']);
    await hop.finish('ba');
    expect((await ab).get('a@x.test')?.code).toBe(250);
    expect((await ba).get('b@x.test')?.code).toBe(250);
    expect(turns.taken).toBe(0);
  });

  it('answers 451 4.4.5 to every recipient after waiting too long, hands nothing to the next hop, and holds no turn after', async () => {
    jest.useFakeTimers();
    const hop = heldNextHop();
    const turns = new MailboxTurns();
    const deliver = oneDeliveryPerMailbox(hop.deliver, turns, 5_000);
    void deliver('s@remote.example', ['b@x.test'], Buffer.from('holds-b'));
    // Takes a@ at once, then waits for b@ past the bound.
    const late = deliver('s@remote.example', ['a@x.test', 'b@x.test'], Buffer.from('late'));
    await jest.advanceTimersByTimeAsync(4_999);
    expect(hop.started).toEqual(['holds-b']);
    await jest.advanceTimersByTimeAsync(1);
    const replies = await late;
    expect([...replies.keys()]).toEqual(['a@x.test', 'b@x.test']);
    for (const r of replies.values()) expect(r).toEqual(expect.objectContaining({ code: 451 }));
    expect(replies.get('a@x.test')!.text).toMatch(/^4\.4\.5 /);
    // a@ was given back when the wait ended: a new delivery to it goes at once.
    void deliver('s@remote.example', ['a@x.test'], Buffer.from('to-a'));
    await jest.advanceTimersByTimeAsync(0);
    expect(hop.started).toEqual(['holds-b', 'to-a']);
    jest.useRealTimers();
    await hop.finish('holds-b');
    await hop.finish('to-a');
    expect(hop.started).not.toContain('late');
    expect(turns.taken).toBe(0);
  });

  it('gives the turn back when the delivery fails', async () => {
    const hop = heldNextHop();
    const turns = new MailboxTurns();
    const deliver = oneDeliveryPerMailbox(hop.deliver, turns, WAIT_MS);
    const failing = deliver('s@remote.example', ['a@x.test'], Buffer.from('fails'));
    const next = deliver('s@remote.example', ['a@x.test'], Buffer.from('next'));
    const failed = expect(failing).rejects.toThrow('next hop failed');
    await settle();
    await hop.finish('fails', 'throw');
    await failed;
    expect(hop.started).toEqual(['fails', 'next']);
    await hop.finish('next');
    expect((await next).get('a@x.test')?.code).toBe(250);
    expect(turns.taken).toBe(0);
  });
});
