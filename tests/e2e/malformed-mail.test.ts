import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { listMailboxKeys, provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { splitMessage, type SplitMessage } from '../../src/encryption/pgp-mime';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { startEncryptingMailstack, TestMailstack } from '../support/mailstack';
import { decryptStored, unlockKey } from '../support/openpgp';
import { malformedCorpus } from './malformed-corpus';

/** One SMTP transaction to the MX with the message's bytes as they are (RFC 5321 §4.5.2 stuffing). */
async function sendRaw(port: number, from: string, to: string[], message: Buffer): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let buffer = '';
  let failure: Error | undefined;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on('data', (d) => {
    buffer += d.toString('latin1');
    wake();
  });
  socket.on('error', (e) => {
    failure = e;
    wake();
  });
  socket.on('close', () => {
    failure ??= new Error(`connection closed; buffer: ${buffer}`);
    wake();
  });
  const reply = async (): Promise<string> => {
    for (;;) {
      const m = /^((?:\d{3}-[^\r\n]*\r\n)*(\d{3}) [^\r\n]*)\r\n/.exec(buffer);
      if (m) {
        buffer = buffer.slice(m[0].length);
        return m[1];
      }
      if (failure) throw failure;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const command = async (line: string) => {
    socket.write(line + '\r\n');
    return reply();
  };
  try {
    await reply();
    await command('EHLO sender.remote.example');
    const mail = await command(`MAIL FROM:<${from}>`);
    if (!mail.startsWith('250')) return mail;
    for (const r of to) {
      const rcpt = await command(`RCPT TO:<${r}>`);
      if (!rcpt.startsWith('250')) return rcpt;
    }
    const go = await command('DATA');
    if (!go.startsWith('354')) return go;
    const stuffed = Buffer.from(message.toString('latin1').replace(/(^|\n)\./g, '$1..'), 'latin1');
    socket.write(stuffed);
    if (stuffed.length > 0 && stuffed[stuffed.length - 1] !== 0x0a) socket.write('\r\n');
    const end = await command('.');
    await command('QUIT').catch(() => '');
    return end;
  } finally {
    socket.destroy();
  }
}

/** Dovecot's Maildir stores lines ended by LF where LMTP carried CRLF. */
const lf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');

function storedFiles(mailRoot: string, address: string): Buffer[] {
  const [local, domain] = address.split('@');
  const maildir = path.join(mailRoot, domain, local, 'Maildir');
  return ['new', 'cur'].flatMap((sub) => {
    const dir = path.join(maildir, sub);
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))) : [];
  });
}

/**
 * The fields Postfix handed over, without those Dovecot adds in front when it stores a copy
 * (Return-Path, Delivered-To, its own Received ... with LMTP), which name each recipient.
 */
function handedOverFields(m: SplitMessage): string[] {
  const fields = m.fields.map((f) => f.raw.toString('latin1'));
  const lmtp = fields.findIndex((f) => /^Received:[\s\S]*with LMTP/i.test(f));
  return fields.slice(lmtp + 1);
}

/**
 * Hostile and broken mail through the real MX, Postfix and the encrypting gateway: every message
 * is stored encrypted and, once decrypted, is byte for byte what Postfix handed over, or it is
 * refused with 5xx. None lost, none in clear, and the gateway keeps answering. The reference is
 * the clear copy Dovecot stores for a mailbox in mode none named in the same transaction, so
 * the comparison is up to the line ends Dovecot writes (LF for CRLF) in both copies.
 */
describe('malformed mail through the real MX and the encrypting gateway', () => {
  let ctx: TestContext;
  let gateway: LmtpGateway;
  let stack: TestMailstack;

  beforeAll(async () => {
    ctx = await createTestContext();
    ({ gateway, stack } = await startEncryptingMailstack(ctx));
  }, 60000);

  afterAll(async () => {
    await stack?.stop();
    await gateway?.stop();
    await ctx?.destroy();
  });

  it('stores each message encrypted and byte-identical once decrypted, or refuses it with 5xx', async () => {
    const collective = await makeCollective(ctx);
    const domain = await makeDomain(ctx, { collectiveId: collective.id });
    const cases = await Promise.all(
      malformedCorpus.map(async ([name, raw], i) => {
        const clear = await makeMailbox(ctx, {
          domainId: domain.id,
          localPart: `clear${i}`,
          encryptionMode: 'none',
        });
        const sealed = await makeMailbox(ctx, {
          domainId: domain.id,
          localPart: `sealed${i}`,
          encryptionMode: 'generated',
        });
        await provisionMailboxKeys(ctx, sealed, TEST_PASSWORD);
        return { name, raw, clear, sealed };
      }),
    );
    const replies = new Map<string, string>();
    for (const c of cases) {
      replies.set(
        c.name,
        await sendRaw(stack.ports.mx, 'alice@remote.example', [c.clear.address, c.sealed.address], c.raw),
      );
    }
    for (const c of cases)
      expect([c.name, replies.get(c.name)]).toEqual([c.name, expect.stringMatching(/^(250|5\d\d) /)]);
    const accepted = cases.filter((c) => replies.get(c.name)!.startsWith('250'));
    expect(accepted.length).toBeGreaterThan(cases.length / 2);

    const deadline = Date.now() + 90_000;
    const missing = () =>
      accepted.filter(
        (c) =>
          storedFiles(stack.mailRoot, c.clear.address).length === 0 ||
          storedFiles(stack.mailRoot, c.sealed.address).length === 0,
      );
    while (missing().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(missing().map((c) => c.name)).toEqual([]);
    // Nothing left behind either: Postfix drops each queue file once both copies are stored.
    let queued = await stack.queue();
    while (queued.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      queued = await stack.queue();
    }
    expect(queued).toEqual([]);

    for (const c of cases) {
      if (!accepted.includes(c)) {
        expect([c.name, storedFiles(stack.mailRoot, c.clear.address).length]).toEqual([c.name, 0]);
        expect([c.name, storedFiles(stack.mailRoot, c.sealed.address).length]).toEqual([c.name, 0]);
        continue;
      }
      const [clearCopy] = storedFiles(stack.mailRoot, c.clear.address);
      const [sealedCopy] = storedFiles(stack.mailRoot, c.sealed.address);
      const reference = splitMessage(clearCopy);
      const outer = splitMessage(sealedCopy);
      expect([
        c.name,
        outer.fields.filter((f) => f.name === 'content-type').map((f) => f.raw.toString('latin1')),
      ]).toEqual([
        c.name,
        [
          expect.stringMatching(
            /^Content-Type: multipart\/encrypted; protocol="application\/pgp-encrypted";/,
          ),
        ],
      ]);
      if (reference.body.length >= 8)
        expect([c.name, sealedCopy.includes(reference.body)]).toEqual([c.name, false]);
      expect(sealedCopy.toString('latin1')).not.toContain('Le code est 4242');

      const [key] = await listMailboxKeys(ctx, c.sealed.id);
      const privateKey = await unlockKey(key.private_key!, TEST_PASSWORD, key.password_kdf!);
      const inner = splitMessage(await decryptStored(sealedCopy, privateKey));
      expect([c.name, lf(inner.body).equals(reference.body)]).toEqual([c.name, true]);
      // The clear fields stayed outside as they came, the others moved inside: together, what
      // Postfix handed over (the outer MIME-Version and Content-Type are the gateway's own).
      const rebuilt = [
        ...handedOverFields(outer).slice(0, -2),
        ...inner.fields.map((f) => lf(f.raw).toString('latin1')),
      ];
      expect([c.name, rebuilt.sort()]).toEqual([c.name, handedOverFields(reference).sort()]);
    }

    // Still answering after all that.
    const after = await sendRaw(
      stack.ports.mx,
      'alice@remote.example',
      [cases[0].sealed.address],
      malformedCorpus[0][1],
    );
    expect(after).toMatch(/^250 /);
  }, 240_000);
});
