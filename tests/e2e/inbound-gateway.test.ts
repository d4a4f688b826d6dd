import fs from 'node:fs/promises';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import * as openpgp from 'openpgp';
import { LmtpGateway, startLmtpGateway } from '../../src/encryption/lmtp-gateway';
import { listMailboxKeys, provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { derivePassphrase } from '../../src/encryption/passphrase';
import { createTestDatabase } from '../support/db';
import { makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { freePorts, startTestMailstack, TestMailstack } from '../support/mailstack';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;

async function fetchFirst(port: number, user: string): Promise<string | undefined> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port,
    secure: false,
    auth: { user, pass: TEST_PASSWORD },
    logger: false,
  });
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      if (!client.mailbox || client.mailbox.exists === 0) return undefined;
      const message = await client.fetchOne('1', { source: true });
      return message ? message.source!.toString() : undefined;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** Postfix delivers after its 250: poll the mailbox until the message is there. */
async function waitForMessage(port: number, user: string): Promise<string> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const message = await fetchFirst(port, user);
    if (message) return message;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no message arrived for ${user}`);
}

/** The files Dovecot stored for a mailbox (new/ and cur/ of its Maildir). */
async function storedFiles(mailRoot: string, address: string): Promise<string[]> {
  const [local, domain] = address.split('@');
  const maildir = path.join(mailRoot, domain, local, 'Maildir');
  const out: string[] = [];
  for (const sub of ['new', 'cur']) {
    for (const f of await fs.readdir(path.join(maildir, sub)).catch(() => [] as string[])) {
      out.push(await fs.readFile(path.join(maildir, sub, f), 'utf8'));
    }
  }
  return out;
}

describe('inbound mail through the encrypting gateway, on the real Postfix and Dovecot', () => {
  let t: Db;
  let gateway: LmtpGateway;
  let stack: TestMailstack;
  let domainId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const [dovecotLmtp] = await freePorts(1);
    gateway = await startLmtpGateway(t.db, () => new Date(), {
      listen: { host: '127.0.0.1', port: 0 },
      nextHop: { host: '127.0.0.1', port: dovecotLmtp },
      name: 'mail.giroflee.test',
      maxMessageBytes: 10 * 1024 * 1024,
      timeoutMs: 30000,
      nextHopConnections: 2,
      keyCacheMs: 0,
    });
    stack = await startTestMailstack(t.url, {
      inboundTransport: 'gateway',
      gatewayLmtp: { host: '127.0.0.1', port: gateway.port },
      ports: { dovecotLmtp },
    });
    const collective = await makeCollective(t.db);
    domainId = (await makeDomain(t.db, { collectiveId: collective.id })).id;
  }, 60000);

  afterAll(async () => {
    await stack?.stop();
    await gateway?.stop();
    await t?.destroy();
  });

  it('stores PGP/MIME for a mailbox with a generated key; its password unlocks the original', async () => {
    const box = await makeMailbox(t.db, { domainId, encryptionMode: 'generated' });
    await provisionMailboxKeys(t.db, { id: box.id, address: box.address }, TEST_PASSWORD);
    const secret = 'Le code de la porte est 4827.';
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from: 'alice@remote.example', to: box.address, subject: 'Confidentiel', text: secret });

    const fetched = await waitForMessage(stack.ports.imap, box.address);
    expect(fetched).toMatch(/Content-Type: multipart\/encrypted;[\s\S]*application\/pgp-encrypted/i);
    expect(fetched).toContain('Subject: Confidentiel');
    expect(fetched).not.toContain(secret);
    const onDisk = await storedFiles(stack.mailRoot, box.address);
    expect(onDisk).toHaveLength(1);
    expect(onDisk[0]).not.toContain(secret);

    const [key] = await listMailboxKeys(t.db, box.id);
    const privateKey = await openpgp.decryptKey({
      privateKey: await openpgp.readPrivateKey({ armoredKey: key.private_key! }),
      passphrase: await derivePassphrase(TEST_PASSWORD, key.password_kdf!),
    });
    const armored = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/.exec(fetched)![0];
    const { data } = await openpgp.decrypt({
      message: await openpgp.readMessage({ armoredMessage: armored }),
      decryptionKeys: privateKey,
    });
    expect(data).toContain(secret);
  });

  it('stores a mailbox in mode none as it came', async () => {
    const box = await makeMailbox(t.db, { domainId, encryptionMode: 'none' });
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from: 'alice@remote.example', to: box.address, subject: 'Clair', text: 'en clair' });
    const fetched = await waitForMessage(stack.ports.imap, box.address);
    expect(fetched).toContain('en clair');
    expect(fetched).not.toMatch(/multipart\/encrypted/i);
  });
});
