import { LmtpGateway, startLmtpGateway, encryptForOwner } from '../../src/encryption/lmtp-gateway';
import { listMailboxKeys, provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { splitMessage } from '../../src/encryption/pgp-mime';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDomain, makeMailbox } from '../support/factories';
import { decryptStored, unlockKey } from '../support/openpgp';
import { waitUntil } from '../support/wait-until';
import { deadPort, startSilentServer } from '../relay/support/fake-relay';
import { lmtpTransaction, startFakeDownstream } from './lmtp-helpers';
import { alreadyEncrypted, corpus, lookAlikes } from './mime-corpus';

const PASSWORD = 'mailbox password';

describe('inbound LMTP gateway', () => {
  let ctx: TestContext;
  let downstream: Awaited<ReturnType<typeof startFakeDownstream>>;
  let gateway: LmtpGateway;
  let domain: { id: string; name: string };
  const message = corpus[0][1];

  async function mailbox(localPart: string, mode: 'generated' | 'none' = 'generated', provision = true) {
    const m = await makeMailbox(ctx, { domainId: domain.id, localPart, encryptionMode: mode });
    if (provision && mode === 'generated') await provisionMailboxKeys(ctx, m, PASSWORD);
    return m;
  }

  async function decryptFor(mailboxId: string, stored: Buffer): Promise<Buffer> {
    const rows = await listMailboxKeys(ctx, mailboxId);
    const keys = await Promise.all(rows.map((r) => unlockKey(r.private_key!, PASSWORD, r.password_kdf!)));
    return decryptStored(stored, keys);
  }

  /** Fails instead of hanging: a gateway that never answers is the bug these tests guard. */
  const within = <T>(ms: number, what: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([what, late]).finally(() => clearTimeout(timer));
  };

  const gatewayTo = (port: number, timeoutMs: number) =>
    startLmtpGateway(ctx.db, ctx.now, {
      listen: { host: '127.0.0.1', port: 0 },
      nextHop: { host: '127.0.0.1', port },
      name: 'gateway.test',
      maxMessageBytes: 64 * 1024,
      timeoutMs,
      nextHopConnections: 2,
      keyCacheMs: 0,
    });

  const storedFor = (rcpt: string) => downstream.stored.filter((s) => s.rcpt === rcpt);

  beforeAll(async () => {
    ctx = await createTestContext();
    const collective = await makeCollective(ctx);
    domain = await makeDomain(ctx, { collectiveId: collective.id, name: 'gw.example' });
    downstream = await startFakeDownstream();
    gateway = await startLmtpGateway(ctx.db, ctx.now, {
      listen: { host: '127.0.0.1', port: 0 },
      nextHop: { host: '127.0.0.1', port: downstream.port },
      name: 'gateway.test',
      maxMessageBytes: 64 * 1024,
      timeoutMs: 1500,
      nextHopConnections: 2,
      keyCacheMs: 0,
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await downstream.close();
    await ctx.destroy();
  });

  it('stores only PGP/MIME for a generated-key mailbox, which decrypts to the original entity', async () => {
    const m = await mailbox('alice');
    const r = await lmtpTransaction(gateway.port, 'sender@example.net', [m.address], message);
    expect(r.dataReplies).toEqual([expect.stringMatching(/^250 2\.0\.0 /)]);
    expect(r.quitReply).toMatch(/^221/);
    const [stored] = storedFor(m.address);
    expect(stored.from).toBe('sender@example.net');
    expect(stored.message.toString('latin1')).toContain(
      'multipart/encrypted; protocol="application/pgp-encrypted"',
    );
    expect(stored.message.includes(splitMessage(message).body)).toBe(false);
    expect(splitMessage(await decryptFor(m.id, stored.message)).body.equals(splitMessage(message).body)).toBe(
      true,
    );
  });

  it('refuses a recipient that is no active mailbox here, passing nothing to the next hop', async () => {
    const off = await mailbox('parti', 'none');
    await ctx.db('mailboxes').where({ id: off.id }).update({ status: 'disabled' });
    const r = await lmtpTransaction(
      gateway.port,
      's@example.net',
      [off.address, 'inconnu@gw.example'],
      message,
    );
    expect(r.dataReplies).toEqual([
      expect.stringMatching(/^550 5\.1\.1 /),
      expect.stringMatching(/^550 5\.1\.1 /),
    ]);
    expect(storedFor(off.address)).toEqual([]);
    expect(storedFor('inconnu@gw.example')).toEqual([]);
  });

  it('knows only mailboxes Dovecot delivers to: one on a pending claim of another collective lends nothing', async () => {
    const other = await makeCollective(ctx);
    const claim = await makeDomain(ctx, { collectiveId: other.id, name: 'gw.example', status: 'pending' });
    const namesake = await makeMailbox(ctx, {
      domainId: claim.id,
      localPart: 'homonyme',
      encryptionMode: 'none',
    });
    const r = await lmtpTransaction(gateway.port, 's@example.net', [namesake.address], message);
    expect(r.dataReplies).toEqual([expect.stringMatching(/^550 5\.1\.1 /)]);
    expect(storedFor(namesake.address)).toEqual([]);
  });

  it('passes mail for a mailbox in mode none unchanged', async () => {
    const plain = await mailbox('plain', 'none');
    const r = await lmtpTransaction(gateway.port, 's@example.net', [plain.address], message);
    expect(r.dataReplies).toEqual([expect.stringMatching(/^250 /)]);
    expect(storedFor(plain.address)[0].message.equals(message)).toBe(true);
  });

  it('stores already-encrypted mail unchanged, even for a generated-key mailbox', async () => {
    const m = await mailbox('already');
    const r = await lmtpTransaction(gateway.port, 's@example.net', [m.address], alreadyEncrypted[0][1]);
    expect(r.dataReplies).toEqual([expect.stringMatching(/^250 /)]);
    expect(storedFor(m.address)[0].message.equals(alreadyEncrypted[0][1])).toBe(true);
  });

  it('encrypts S/MIME that is only signed, whatever its smime-type says', async () => {
    const m = await mailbox('signedonly');
    const signed = lookAlikes.find(([n]) => n.startsWith('S/MIME signed-data labelled'))![1];
    const r = await lmtpTransaction(gateway.port, 's@example.net', [m.address], signed);
    expect(r.dataReplies).toEqual([expect.stringMatching(/^250 /)]);
    const [stored] = storedFor(m.address);
    expect(stored.message.includes(splitMessage(signed).body)).toBe(false);
    expect(splitMessage(await decryptFor(m.id, stored.message)).body.equals(splitMessage(signed).body)).toBe(
      true,
    );
  });

  it('hides the subject for a mailbox with the protected-subject option', async () => {
    const m = await mailbox('discreet');
    await ctx.db('mailboxes').where({ id: m.id }).update({ protected_subject: true });
    await lmtpTransaction(gateway.port, 's@example.net', [m.address], message);
    const [stored] = storedFor(m.address);
    expect(
      splitMessage(stored.message)
        .fields.filter((f) => f.name === 'subject')
        .map((f) => f.raw.toString()),
    ).toEqual(['Subject: ...\r\n']);
    const inner = splitMessage(await decryptFor(m.id, stored.message));
    expect(inner.fields.find((f) => f.name === 'subject')!.raw.toString()).toBe('Subject: Hello\r\n');
  });

  it('answers once per RCPT, in order, duplicates included, delivering each mailbox once', async () => {
    const a = await mailbox('dup-a');
    const b = await mailbox('dup-b', 'none');
    const r = await lmtpTransaction(
      gateway.port,
      's@example.net',
      [a.address, b.address, a.address.toUpperCase()],
      message,
    );
    expect(r.rcptReplies).toHaveLength(3);
    expect(r.dataReplies).toEqual([
      expect.stringMatching(new RegExp(`^250 2\\.0\\.0 <${a.address}>`)),
      expect.stringMatching(new RegExp(`^250 2\\.0\\.0 <${b.address}>`)),
      expect.stringMatching(new RegExp(`^250 2\\.0\\.0 <${a.address}>`)),
    ]);
    expect(r.quitReply).toMatch(/^221/);
    expect(storedFor(a.address)).toHaveLength(1);
    expect(storedFor(b.address)).toHaveLength(1);
  });

  it('answers per recipient after the next hop: an active mailbox it calls unknown deferred, mailbox full relayed, others stored', async () => {
    const ok = await mailbox('fine');
    await mailbox('refused', 'none');
    const full = await mailbox('fullbox');
    const refused = `refused@${domain.name}`;
    const r = await lmtpTransaction(
      gateway.port,
      's@example.net',
      [refused, ok.address, full.address],
      message,
    );
    expect(r.dataReplies).toEqual([
      expect.stringMatching(/^451 4\.3\.0 /),
      expect.stringMatching(/^250 /),
      expect.stringMatching(/^452 4\.2\.2 Mailbox is full/),
    ]);
    expect(r.quitReply).toMatch(/^221/);
    expect(storedFor(full.address)).toHaveLength(0);
    expect(storedFor(ok.address)).toHaveLength(1);
  });

  it('defers (451 4.4.2) when the next hop does not answer in time', async () => {
    const hang = await mailbox('hang');
    const r = await lmtpTransaction(gateway.port, 's@example.net', [hang.address], message);
    expect(r.dataReplies).toEqual([expect.stringMatching(/^451 4\.4\.2 /)]);
  });

  it('answers 451 4.4.2 at once while the next hop refuses connections, never leaking a slot, and delivers when it is back', async () => {
    const m = await mailbox('comeback', 'none');
    const port = await deadPort();
    const g = await gatewayTo(port, 1500);
    let back: Awaited<ReturnType<typeof startFakeDownstream>> | undefined;
    try {
      // Twice as many transactions as the pool has connections: a leaked slot would block the last.
      for (let i = 0; i < 4; i++) {
        const r = await within(
          10_000,
          lmtpTransaction(g.port, 's@example.net', [m.address, m.address], message),
        );
        expect(r.dataReplies).toEqual([
          expect.stringMatching(/^451 4\.4\.2 /),
          expect.stringMatching(/^451 4\.4\.2 /),
        ]);
      }
      back = await startFakeDownstream(port);
      const r = await within(10_000, lmtpTransaction(g.port, 's@example.net', [m.address], message));
      expect(r.dataReplies).toEqual([expect.stringMatching(/^250 /)]);
      expect(back.stored.filter((s) => s.rcpt === m.address)).toHaveLength(1);
    } finally {
      await g.stop();
      await back?.close();
    }
  });

  it('answers 451 4.4.2 within its timeout when the next hop accepts connections but never greets', async () => {
    const m = await mailbox('mute', 'none');
    const silent = await startSilentServer();
    const g = await gatewayTo(silent.port, 1000);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await within(10_000, lmtpTransaction(g.port, 's@example.net', [m.address], message));
        expect(r.dataReplies).toEqual([expect.stringMatching(/^451 4\.4\.2 /)]);
      }
    } finally {
      await g.stop();
      await silent.stop();
    }
  });

  it('defers with 451 4.7.0 when it cannot encrypt, stores nothing, and delivers once the key is fixed', async () => {
    const m = await mailbox('nokey', 'generated', false);
    const other = await mailbox('bystander', 'none');
    const first = await lmtpTransaction(gateway.port, 's@example.net', [m.address, other.address], message);
    expect(first.dataReplies).toEqual([
      expect.stringMatching(/^451 4\.7\.0 /),
      expect.stringMatching(/^250 /),
    ]);
    expect(storedFor(m.address)).toHaveLength(0);

    await provisionMailboxKeys(ctx, m, PASSWORD);
    const retry = await lmtpTransaction(gateway.port, 's@example.net', [m.address], message);
    expect(retry.dataReplies).toEqual([expect.stringMatching(/^250 /)]);
    const [stored] = storedFor(m.address);
    expect(splitMessage(await decryptFor(m.id, stored.message)).body.equals(splitMessage(message).body)).toBe(
      true,
    );
  });

  it('refuses a message over the size limit with 552 5.3.4 per recipient, declared or not', async () => {
    const m = await mailbox('big', 'none');
    const big = Buffer.concat([message, Buffer.alloc(70 * 1024, 'a'), Buffer.from('\r\n')]);
    const r = await lmtpTransaction(gateway.port, 's@example.net', [m.address, m.address], big);
    expect(r.dataReplies).toEqual([
      expect.stringMatching(/^552 5\.3\.4 /),
      expect.stringMatching(/^552 5\.3\.4 /),
    ]);
    const declared = await lmtpTransaction(gateway.port, 's@example.net', [m.address], big, {
      size: big.length,
    });
    expect(declared.mailReply).toMatch(/^552 5\.3\.4 /);
    expect(storedFor(m.address)).toHaveLength(0);
  });

  it('streams a large message to the next hop, encrypted, within a larger limit', async () => {
    const m = await mailbox('large');
    const big = await startLmtpGateway(ctx.db, ctx.now, {
      listen: { host: '127.0.0.1', port: 0 },
      nextHop: { host: '127.0.0.1', port: downstream.port },
      name: 'gateway.test',
      maxMessageBytes: 8 * 1024 * 1024,
      timeoutMs: 5000,
      nextHopConnections: 1,
      keyCacheMs: 0,
    });
    try {
      // Past 4 MB: receiving and sending each run a young-generation collection midway.
      const raw = Buffer.concat([
        message,
        Buffer.from('y'.repeat(76) + '\r\n').subarray(0, 78),
        Buffer.alloc(5 * 1024 * 1024, 'z'),
        Buffer.from('\r\n'),
      ]);
      const r = await lmtpTransaction(big.port, 's@example.net', [m.address], raw, { size: raw.length });
      expect(r.dataReplies).toEqual([expect.stringMatching(/^250 /)]);
      const [stored] = storedFor(m.address);
      expect(splitMessage(await decryptFor(m.id, stored.message)).body.equals(splitMessage(raw).body)).toBe(
        true,
      );
    } finally {
      await big.stop();
    }
  });

  it('reuses its connections to the next hop across messages', async () => {
    const m = await mailbox('reuse', 'none');
    const before = downstream.connections();
    for (let i = 0; i < 5; i++) await lmtpTransaction(gateway.port, 's@example.net', [m.address], message);
    expect(downstream.connections() - before).toBeLessThanOrEqual(1);
  });

  it('stops gracefully: finishes the transaction in flight, refuses new ones', async () => {
    const m = await mailbox('slowpoke', 'none');
    const g = await startLmtpGateway(ctx.db, ctx.now, {
      listen: { host: '127.0.0.1', port: 0 },
      nextHop: { host: '127.0.0.1', port: downstream.port },
      name: 'gateway.test',
      maxMessageBytes: 64 * 1024,
      timeoutMs: 5000,
      nextHopConnections: 1,
      keyCacheMs: 0,
    });
    const inFlight = lmtpTransaction(g.port, 's@example.net', [m.address], message);
    await waitUntil('the transaction held at the next hop', () => downstream.waitingSlow() > 0);
    let stopped = false;
    const stopping = g.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    await expect(lmtpTransaction(g.port, 's@example.net', [m.address], message)).rejects.toThrow();
    downstream.releaseSlow();
    const r = await inFlight;
    expect(r.dataReplies).toEqual([expect.stringMatching(/^250 /)]);
    await stopping;
    expect(storedFor(m.address)).toHaveLength(1);
  });

  it('encrypts a sent copy for its owner', async () => {
    const m = await mailbox('owner');
    const copy = await encryptForOwner(ctx.db, m.address, message);
    expect(splitMessage(await decryptFor(m.id, copy)).body.equals(splitMessage(message).body)).toBe(true);
  });
});
