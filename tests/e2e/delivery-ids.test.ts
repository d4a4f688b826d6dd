import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { trackedIdCount } from '../../bench/faults/dedup-tracking';
import { DELIVERY_HEADER } from '../../src/encryption/delivery-id';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { LmtpClient } from '../../src/encryption/lmtp-client';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDomain, makeMailbox } from '../support/factories';
import { startEncryptingMailstack, TestMailstack } from '../support/mailstack';
import { REAL_STACK_TEST_MS, WAIT_MS, waitUntil } from '../support/wait-until';

jest.setTimeout(REAL_STACK_TEST_MS);

const COUNT = 40;

/**
 * The delivery ids Dovecot's Sieve `duplicate` test keeps per mailbox, when many messages for one
 * mailbox arrive at once: Postfix → the gateway with its default four connections to Dovecot →
 * Dovecot. Dovecot 2.3 loses ids written by deliveries to the same mailbox running at the same
 * time (mailbox-turns.ts); each lost id is a message a retry would store twice.
 */
describe('delivery ids under concurrent deliveries to one mailbox, on the real Postfix and Dovecot', () => {
  let ctx: TestContext;
  let gateway: LmtpGateway | undefined;
  let stack: TestMailstack | undefined;

  beforeAll(async () => {
    ctx = await createTestContext();
    ({ gateway, stack } = await startEncryptingMailstack(ctx, {}, { nextHopConnections: 4 }));
  });

  afterAll(async () => {
    await stack?.stop();
    await gateway?.stop();
    await ctx?.destroy();
  });

  it('keeps the id of every message stored, so that a second delivery of any of them is discarded', async () => {
    const domain = await makeDomain(ctx, { collectiveId: (await makeCollective(ctx)).id });
    // In clear: the cheapest delivery, so the most of them run at once in Dovecot.
    const box = await makeMailbox(ctx, { domainId: domain.id, encryptionMode: 'none' });
    const [local, domainName] = box.address.split('@');
    const home = path.join(stack!.mailRoot, domainName, local);
    const stored = () =>
      ['new', 'cur'].flatMap((sub) => {
        const dir = path.join(home, 'Maildir', sub);
        return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
      });

    const mx = nodemailer.createTransport({
      host: '127.0.0.1',
      port: stack!.ports.mx,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 4,
    });
    try {
      await Promise.all(
        Array.from({ length: COUNT }, (_, i) =>
          mx.sendMail({
            from: 'alice@remote.example',
            to: box.address,
            subject: `n° ${i}`,
            text: `message ${i}`,
          }),
        ),
      );
    } finally {
      mx.close();
    }
    const files = await waitUntil(`${COUNT} messages stored`, () => stored().length === COUNT && stored());
    const ids = files.map(
      (f) => new RegExp(`^${DELIVERY_HEADER}: (\\S+)$`, 'm').exec(fs.readFileSync(f, 'latin1'))?.[1],
    );
    expect(new Set(ids).size).toBe(COUNT);
    expect(ids).not.toContain(undefined);
    expect(trackedIdCount(home)).toBe(COUNT);

    // What a retry of each would meet: the same delivery id again, now one at a time.
    const lmtp = await LmtpClient.open({
      host: '127.0.0.1',
      port: stack!.ports.dovecotLmtp,
      name: 'test.giroflee',
      timeoutMs: WAIT_MS,
    });
    try {
      for (const f of files) {
        const reply = await lmtp.send('alice@remote.example', [box.address], fs.readFileSync(f));
        expect(reply.get(box.address)?.code).toBe(250);
      }
    } finally {
      lmtp.quit();
    }
    expect(stored()).toHaveLength(COUNT);
  });
});
