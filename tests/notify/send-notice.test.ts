import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { sendNotice } from '../../src/notify/send-notice';
import { createTestContext, TestContext } from '../support/context';

describe('sendNotice', () => {
  let ctx: TestContext;
  let server: SMTPServer;
  const received: Array<{ from: string; to: string[]; raw: Buffer }> = [];
  let reject = false;

  beforeAll(async () => {
    ctx = await createTestContext();
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, cb) {
        cb(reject ? Object.assign(new Error('try later'), { responseCode: 451 }) : undefined);
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: (session.envelope.mailFrom as { address: string }).address,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ctx.config = {
      ...ctx.config,
      notifySmtp: { host: '127.0.0.1', port: (server.server.address() as AddressInfo).port },
    };
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ctx.destroy();
  });

  it('sends one message in French then English through the configured next hop', async () => {
    await sendNotice(ctx, {
      to: ['admin@asso.example', 'other@asso.example'],
      subject: { fr: 'Domaine cassé', en: 'Domain broken' },
      text: { fr: 'Le MX est parti.', en: 'The MX is gone.' },
    });
    expect(received).toHaveLength(1);
    expect(received[0].to).toEqual(['admin@asso.example', 'other@asso.example']);
    expect(received[0].from).toBe(ctx.config.notifyFrom);
    const mail = await simpleParser(received[0].raw);
    expect(mail.subject).toBe('Domaine cassé / Domain broken');
    expect(mail.text).toMatch(/Le MX est parti\.[\s\S]*-- English --[\s\S]*The MX is gone\./);
  });

  it('throws when the next hop refuses, so the caller can try again later', async () => {
    reject = true;
    await expect(
      sendNotice(ctx, { to: ['a@asso.example'], subject: { fr: 's', en: 's' }, text: { fr: 't', en: 't' } }),
    ).rejects.toThrow();
    reject = false;
  });

  it('sends nothing when there is nobody to tell', async () => {
    const before = received.length;
    await sendNotice(ctx, { to: [], subject: { fr: 's', en: 's' }, text: { fr: 't', en: 't' } });
    expect(received).toHaveLength(before);
  });
});
