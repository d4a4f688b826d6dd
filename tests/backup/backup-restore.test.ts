import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { createBackup } from '../../src/backup/create-backup';
import { restoreBackup } from '../../src/backup/restore-backup';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/open-database';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { listMailboxKeys, provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { Keyring, saveKeyring } from '../../src/encryption/master-key';
import { cliHarness } from '../support/cli';
import { createTestContext, TestContext } from '../support/context';
import { createTestDatabase } from '../support/db';
import { makeCollective, makeDkimKeys, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { startEncryptingMailstack, startTestMailstack, TestMailstack } from '../support/mailstack';
import { decryptStored, unlockKey } from '../support/openpgp';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';

jest.setTimeout(2 * REAL_STACK_TEST_MS);

const SECRET = 'Le code du coffre est 9137-ZEBRE.';

/** Every file under `dir`, as [relative path, content]. */
function filesUnder(dir: string): Array<[string, Buffer]> {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).flatMap((e) => {
    if (!e.isFile()) return [];
    const full = path.join(e.parentPath, e.name);
    return [[path.relative(dir, full), fs.readFileSync(full)] as [string, Buffer]];
  });
}

async function readInbox(port: number, user: string): Promise<string[]> {
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
      const out: string[] = [];
      if (!client.mailbox || client.mailbox.exists === 0) return out;
      for await (const m of client.fetch('1:*', { source: true })) out.push(m.source!.toString('latin1'));
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/**
 * A backup taken from a platform that received mail, restored on a fresh machine: a new data
 * folder with its own embedded PostgreSQL and a new Postfix and Dovecot. What the partner holds
 * is ciphertext and no master key; the owner's password still opens the old message.
 */
describe('giroflee backup and restore', () => {
  let ctx: TestContext;
  let gateway: LmtpGateway;
  let stack: TestMailstack;
  let work: string;
  let backupDir: string;
  let backupTar: string;
  let mailbox: { id: string; address: string };

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-backup-test-'));
    // The embedded cluster of the restored machine runs as `postgres`, who must reach its folder.
    fs.chmodSync(work, 0o711);
    ctx = await createTestContext();
    ({ gateway, stack } = await startEncryptingMailstack(ctx));
    ctx.config = { ...ctx.config, monitor: { ...ctx.config.monitor, mailRoot: stack.mailRoot } };

    const collective = await makeCollective(ctx);
    const domain = await makeDomain(ctx, { collectiveId: collective.id });
    await makeDkimKeys(ctx, domain.id);
    mailbox = await makeMailbox(ctx, { domainId: domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(ctx, mailbox, TEST_PASSWORD);
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from: 'alice@remote.example', to: mailbox.address, subject: 'Coffre', text: SECRET });
    await waitUntil(
      'the message in the mailbox',
      async () => (await readInbox(stack.ports.imap, mailbox.address)).length === 1,
    );

    backupDir = path.join(work, 'backup');
    await createBackup(ctx, { dir: backupDir });
    backupTar = path.join(work, 'backup.tar');
    await createBackup(ctx, { stream: fs.createWriteStream(backupTar, { mode: 0o600 }) });
  });

  afterAll(async () => {
    await stack?.stop();
    await gateway?.stop();
    await ctx?.destroy();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('holds only ciphertext of an encrypted mailbox, and never the master key', () => {
    const files = filesUnder(backupDir);
    const messages = files.filter(([p]) => p.startsWith(`mail/`) && /\/(cur|new)\//.test(p));
    expect(messages).toHaveLength(1);
    expect(messages[0][1].toString('latin1')).toContain('-----BEGIN PGP MESSAGE-----');

    const tar = fs.readFileSync(backupTar);
    const keys = ctx.keyring.keys.flatMap((k) => [k.key, Buffer.from(k.key.toString('base64'))]);
    for (const [name, content] of [...files, ['backup.tar', tar] as [string, Buffer]]) {
      expect({ name, body: content.includes(SECRET) }).toEqual({ name, body: false });
      expect({ name, key: keys.some((k) => content.includes(k)) }).toEqual({ name, key: false });
    }
    expect(files.map(([p]) => p)).not.toContain('master.key');
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest.masterKeyIds).toEqual([ctx.keyring.current.id]);
    expect(manifest.tables.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['mailboxes', 'mailbox_keys', 'dkim_keys', 'audit_log']),
    );
    expect(manifest.tables.map((t: { name: string }) => t.name)).not.toContain('sessions');
  });

  it('writes a tar stream GNU tar reads, recorded in the backups table', async () => {
    const listed = execFileSync('tar', ['-tf', backupTar], { encoding: 'utf8' }).split('\n');
    expect(listed).toEqual(
      expect.arrayContaining(['manifest.json', 'mail-manifest.ndjson', 'database/mailboxes.copy']),
    );
    expect(await ctx.db('backups').pluck('target')).toEqual(['directory', 'stream']);
  });

  it('refuses a damaged backup, a missing master key and a database that is not empty, restoring nothing', async () => {
    const target = await createTestDatabase();
    const mailRoot = path.join(work, 'refused-mail');
    const config = { ...ctx.config, monitor: { ...ctx.config.monitor, mailRoot } };
    try {
      const damaged = path.join(work, 'damaged');
      fs.cpSync(backupDir, damaged, { recursive: true });
      const [message] = filesUnder(damaged).filter(([p]) => /\/(cur|new)\//.test(p));
      fs.appendFileSync(path.join(damaged, message[0]), 'x');
      await expect(
        restoreBackup({ db: target.db, config, keyring: ctx.keyring }, { dir: damaged }),
      ).rejects.toMatchObject({
        code: 'backup_damaged',
      });

      await expect(
        restoreBackup(
          { db: target.db, config, keyring: new Keyring([Keyring.generateKey()]) },
          { dir: backupDir },
        ),
      ).rejects.toMatchObject({ code: 'master_key_missing' });
      expect(await target.db('mailboxes').count('* as n')).toEqual([{ n: '0' }]);
      expect(fs.existsSync(mailRoot)).toBe(false);

      await expect(
        restoreBackup({ db: ctx.db, config, keyring: ctx.keyring }, { dir: backupDir }),
      ).rejects.toMatchObject({
        code: 'restore_target_not_empty',
      });
    } finally {
      await target.destroy();
    }
  });

  it('restores on a new data folder and a new Postfix and Dovecot, where the owner’s password reads the old message', async () => {
    const dataDir = path.join(work, 'new-machine');
    fs.mkdirSync(dataDir, { mode: 0o711 });
    saveKeyring(path.join(dataDir, 'master.key'), new Keyring(ctx.keyring.keys));
    const cli = cliHarness();
    const saved = { ...process.env };
    let restored: TestMailstack | undefined;
    let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
    try {
      delete process.env.DATABASE_URL;
      Object.assign(process.env, {
        GIROFLEE_DATA_DIR: dataDir,
        GIROFLEE_MAILSTACK: '1',
        LOG_LEVEL: 'silent',
      });
      const result = await cli.run('restore', '--from', backupTar, '--json');
      expect(result).toMatchObject({ code: 0, err: '' });
      expect(JSON.parse(result.out)).toMatchObject({
        mailFiles: expect.any(Number),
        tables: expect.any(Number),
      });

      const config = loadConfig();
      database = await openDatabase(config);
      restored = await startTestMailstack(database.url, { dir: path.join(dataDir, 'mailstack') });
      const [stored] = await waitUntil('the restored message', async () => {
        const inbox = await readInbox(restored!.ports.imap, mailbox.address);
        return inbox.length > 0 && inbox;
      });
      expect(stored).not.toContain(SECRET);
      const rows = await listMailboxKeys({ ...ctx, db: database.db }, mailbox.id);
      const key = await unlockKey(rows[0].private_key!, TEST_PASSWORD, rows[0].password_kdf!);
      expect((await decryptStored(stored, key)).toString('utf8')).toContain(SECRET);
    } finally {
      await restored?.stop();
      await database?.close();
      process.env = saved;
    }
  });
});
