import { Readable } from 'node:stream';
import type * as openpgp from 'openpgp';
import {
  deliverTransaction,
  type Payload,
  type TransactionDeps,
} from '../../src/encryption/deliver-transaction';
import { deliveryId } from '../../src/encryption/delivery-id';
import type { RecipientPolicy } from '../../src/encryption/recipient-keys';
import type { SmtpReply } from '../../src/smtp/reply';

/** A stand-in key: deliverTransaction only reads fingerprints to group recipients. */
const key = (fingerprint: string) => ({ getFingerprint: () => fingerprint }) as unknown as openpgp.PublicKey;

const policy = (id: string, over: Partial<RecipientPolicy> = {}): RecipientPolicy => ({
  mailboxId: id,
  mode: 'generated',
  protectedSubject: false,
  keys: [key(`fp-${id}`)],
  ...over,
});

const raw = Buffer.from('Subject: hi\r\n\r\nbody\r\n');

/**
 * Fake collaborators: a policy table, an "encryption" that tags the message with the policy's
 * fingerprints, and a next hop that records what it was handed and answers from `answers`.
 */
function world(table: Record<string, RecipientPolicy | null>) {
  const encrypted: string[] = [];
  const delivered: Array<{ to: string[]; payload: string }> = [];
  const answers = new Map<string, SmtpReply>();
  const deps: TransactionDeps = {
    policies: async (addresses) => new Map(addresses.map((a) => [a, table[a] ?? null])),
    encrypt: async (message, p) => {
      encrypted.push(p.mailboxId);
      return Buffer.from(`enc[${p.keys.map((k) => k.getFingerprint()).join(',')}]${message.length}`);
    },
    deliver: async (_from, to, payload: Payload) => {
      delivered.push({ to, payload: (payload as Buffer).toString() });
      return new Map(to.map((r) => [r, answers.get(r) ?? { code: 250, text: `2.0.0 <${r}> stored` }]));
    },
  };
  return { deps, encrypted, delivered, answers };
}

const codes = (replies: SmtpReply[]) => replies.map((r) => `${r.code} ${r.text.split(' ')[0]}`);

describe('deliverTransaction (one inbound LMTP transaction, without sockets)', () => {
  it('answers once per RCPT in RCPT order, duplicates included, delivering each mailbox once', async () => {
    const w = world({ 'a@x.test': policy('a'), 'b@x.test': policy('b', { mode: 'none' }) });
    const replies = await deliverTransaction(w.deps, {
      from: 's@remote.test',
      recipients: ['a@x.test', 'b@x.test', 'a@x.test'],
      message: raw,
    });
    expect(replies.map((r) => r.text)).toEqual([
      '2.0.0 <a@x.test> stored',
      '2.0.0 <b@x.test> stored',
      '2.0.0 <a@x.test> stored',
    ]);
    expect(w.delivered.flatMap((d) => d.to).sort()).toEqual(['a@x.test', 'b@x.test']);
  });

  it('stores the encrypted form for an encrypting mailbox and the message as it came for mode none', async () => {
    const w = world({ 'a@x.test': policy('a'), 'b@x.test': policy('b', { mode: 'none' }) });
    await deliverTransaction(w.deps, { from: '', recipients: ['a@x.test', 'b@x.test'], message: raw });
    expect(w.delivered).toEqual(
      expect.arrayContaining([
        { to: ['a@x.test'], payload: `enc[fp-a]${raw.length}` },
        { to: ['b@x.test'], payload: raw.toString() },
      ]),
    );
    expect(w.delivered).toHaveLength(2);
  });

  it('refuses a recipient that is no active mailbox (550 5.1.1) and hands the next hop nothing for it', async () => {
    const w = world({ 'a@x.test': policy('a') });
    const replies = await deliverTransaction(w.deps, {
      from: '',
      recipients: ['gone@x.test', 'a@x.test'],
      message: raw,
    });
    expect(codes(replies)).toEqual(['550 5.1.1', '250 2.0.0']);
    expect(w.delivered.flatMap((d) => d.to)).toEqual(['a@x.test']);
  });

  it('defers (451 4.7.0) a mailbox that requires encryption but has no usable key, never storing it in clear', async () => {
    const w = world({ 'nokey@x.test': policy('n', { keys: [] }), 'b@x.test': policy('b', { mode: 'none' }) });
    const replies = await deliverTransaction(w.deps, {
      from: '',
      recipients: ['nokey@x.test', 'b@x.test'],
      message: raw,
    });
    expect(codes(replies)).toEqual(['451 4.7.0', '250 2.0.0']);
    expect(w.delivered.flatMap((d) => d.to)).toEqual(['b@x.test']);
  });

  it('defers (451 4.7.0) a recipient whose encryption fails, and only that one', async () => {
    const w = world({ 'a@x.test': policy('a'), 'b@x.test': policy('b') });
    const encrypt = w.deps.encrypt;
    w.deps.encrypt = async (m, p) => {
      if (p.mailboxId === 'a') throw new Error('bad key');
      return encrypt(m, p);
    };
    const replies = await deliverTransaction(w.deps, {
      from: '',
      recipients: ['a@x.test', 'b@x.test'],
      message: raw,
    });
    expect(codes(replies)).toEqual(['451 4.7.0', '250 2.0.0']);
    expect(w.delivered.flatMap((d) => d.to)).toEqual(['b@x.test']);
  });

  it('encrypts once and delivers once for recipients with the same keys and options', async () => {
    const shared = [key('fp-shared')];
    const w = world({
      'a@x.test': policy('a', { keys: shared }),
      'b@x.test': policy('b', { keys: shared }),
      'c@x.test': policy('c', { keys: shared, protectedSubject: true }),
    });
    await deliverTransaction(w.deps, {
      from: '',
      recipients: ['a@x.test', 'b@x.test', 'c@x.test'],
      message: raw,
    });
    expect(w.encrypted).toEqual(['a', 'c']);
    expect(w.delivered.map((d) => d.to)).toEqual([['a@x.test', 'b@x.test'], ['c@x.test']]);
  });

  it('passes an already-encrypted message unchanged, with the recipients in mode none', async () => {
    const w = world({ 'a@x.test': policy('a'), 'b@x.test': policy('b', { mode: 'none' }) });
    w.deps.encrypt = async () => undefined;
    await deliverTransaction(w.deps, { from: '', recipients: ['a@x.test', 'b@x.test'], message: raw });
    expect(w.delivered).toEqual([{ to: ['a@x.test', 'b@x.test'], payload: raw.toString() }]);
  });

  it('relays the next hop’s own per-recipient replies', async () => {
    const w = world({ 'full@x.test': policy('f'), 'ok@x.test': policy('o') });
    w.answers.set('full@x.test', { code: 452, text: '4.2.2 Mailbox is full' });
    const replies = await deliverTransaction(w.deps, {
      from: '',
      recipients: ['full@x.test', 'ok@x.test'],
      message: raw,
    });
    expect(replies).toEqual([
      { code: 452, text: '4.2.2 Mailbox is full' },
      { code: 250, text: '2.0.0 <ok@x.test> stored' },
    ]);
  });

  it('defers (451 4.3.0) an active mailbox the next hop calls unknown, as Dovecot does while its database is down', async () => {
    const w = world({ 'a@x.test': policy('a'), 'b@x.test': policy('b') });
    w.answers.set('a@x.test', { code: 550, text: "5.1.1 <a@x.test> User doesn't exist: a@x.test" });
    const replies = await deliverTransaction(w.deps, {
      from: '',
      recipients: ['a@x.test', 'b@x.test'],
      message: raw,
    });
    expect(codes(replies)).toEqual(['451 4.3.0', '250 2.0.0']);
  });

  it('defers every RCPT (451 4.3.0) when the mailbox lookup fails, delivering nothing', async () => {
    const w = world({ 'a@x.test': policy('a') });
    w.deps.policies = async () => {
      throw new Error('connection terminated');
    };
    const replies = await deliverTransaction(w.deps, {
      from: '',
      recipients: ['a@x.test', 'a@x.test'],
      message: raw,
    });
    expect(codes(replies)).toEqual(['451 4.3.0', '451 4.3.0']);
    expect(w.delivered).toEqual([]);
  });

  it('never reports delivered a recipient the next hop gave no reply for, or when delivery throws', async () => {
    const w = world({ 'a@x.test': policy('a'), 'b@x.test': policy('b', { mode: 'none' }) });
    w.deps.deliver = async (_f, to) => {
      if (to.includes('b@x.test')) throw new Error('bug');
      return new Map();
    };
    const replies = await deliverTransaction(w.deps, {
      from: '',
      recipients: ['a@x.test', 'b@x.test'],
      message: raw,
    });
    expect(codes(replies)).toEqual(['451 4.4.2', '451 4.4.2']);
  });

  it('writes the delivery id in clear on top of every stored form, in the message’s line ending', async () => {
    const w = world({ 'a@x.test': policy('a'), 'b@x.test': policy('b', { mode: 'none' }) });
    await deliverTransaction(w.deps, {
      from: '',
      recipients: ['a@x.test', 'b@x.test'],
      message: raw,
      deliveryId: 'abc',
    });
    expect(w.delivered).toEqual(
      expect.arrayContaining([
        { to: ['a@x.test'], payload: `X-Giroflee-Delivery: abc\r\nenc[fp-a]${raw.length}` },
        { to: ['b@x.test'], payload: `X-Giroflee-Delivery: abc\r\n${raw}` },
      ]),
    );
    const lf = world({ 'b@x.test': policy('b', { mode: 'none' }) });
    const bare = Buffer.from('Subject: hi\n\nbody\n');
    await deliverTransaction(lf.deps, {
      from: '',
      recipients: ['b@x.test'],
      message: bare,
      deliveryId: 'abc',
    });
    expect(lf.delivered[0].payload).toBe(`X-Giroflee-Delivery: abc\n${bare}`);
  });

  it('writes the delivery id on top of a streamed stored form too', async () => {
    const w = world({ 'a@x.test': policy('a') });
    const streamed: string[] = [];
    w.deps.encrypt = async () => () => Readable.from([Buffer.from('part 1, '), Buffer.from('part 2')]);
    w.deps.deliver = async (_from, to, payload) => {
      const chunks: Buffer[] = [];
      for await (const c of (payload as () => Readable)()) chunks.push(c as Buffer);
      streamed.push(Buffer.concat(chunks).toString());
      return new Map(to.map((r) => [r, { code: 250, text: '2.0.0 stored' }]));
    };
    await deliverTransaction(w.deps, { from: '', recipients: ['a@x.test'], message: raw, deliveryId: 'abc' });
    expect(streamed).toEqual(['X-Giroflee-Delivery: abc\r\npart 1, part 2']);
  });

  it('adds no header without a delivery id', async () => {
    const w = world({ 'b@x.test': policy('b', { mode: 'none' }) });
    await deliverTransaction(w.deps, { from: '', recipients: ['b@x.test'], message: raw });
    expect(w.delivered[0].payload).toBe(raw.toString());
  });
});

describe('deliveryId', () => {
  it('is the same for every retry of a queue file and differs between queue files and senders', () => {
    const id = deliveryId('4dLzQd0GNqz9sxX', 'a@remote.test');
    expect(id).toMatch(/^[\w-]{22}$/);
    expect(deliveryId('4dLzQd0GNqz9sxX', 'a@remote.test')).toBe(id);
    expect(deliveryId('4dLzQd0GNqz9sxY', 'a@remote.test')).not.toBe(id);
    expect(deliveryId('4dLzQd0GNqz9sxX', 'b@remote.test')).not.toBe(id);
  });

  it('is absent when Postfix sent no queue id, or something that is not one', () => {
    expect(deliveryId('[UNAVAILABLE]', '')).toBeUndefined();
    expect(deliveryId('', '')).toBeUndefined();
    expect(deliveryId('abc def\r\nX-Injected: 1', '')).toBeUndefined();
  });
});
