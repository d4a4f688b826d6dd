import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { LmtpGateway, startLmtpGateway } from '../../src/encryption/lmtp-gateway';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { webmailMasterCredentials } from '../../src/mailstack/master-user';
import { makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { freePorts, startTestMailstack, type TestMailstack } from '../support/mailstack';
import { waitUntil } from '../support/wait-until';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';

/** The message files Dovecot stored for a mailbox (new/ and cur/ of its Maildir). */
function storedFiles(mailRoot: string, address: string): string[] {
  const [local, domain] = address.split('@');
  const maildir = path.join(mailRoot, domain, local, 'Maildir');
  return ['new', 'cur'].flatMap((sub) => {
    const dir = path.join(maildir, sub);
    return fs.existsSync(dir)
      ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'latin1'))
      : [];
  });
}

/**
 * The webmail on the real stack: mail through Postfix's MX is encrypted by the gateway before
 * Dovecot stores it; in Chromium the owner logs in, unlocks the key in the Worker, and reads it.
 */
describe('webmail in Chromium', () => {
  const web = useWebApp();
  let gateway: LmtpGateway;
  let stack: TestMailstack;
  let box: { id: string; address: string };
  const secret = 'Le code de la porte est 4827.';

  beforeAll(async () => {
    const [dovecotLmtp] = await freePorts(1);
    gateway = await startLmtpGateway(web.ctx.db, web.ctx.now, {
      listen: { host: '127.0.0.1', port: 0 },
      nextHop: { host: '127.0.0.1', port: dovecotLmtp },
      name: 'mail.giroflee.test',
      maxMessageBytes: 10 * 1024 * 1024,
      timeoutMs: 30000,
      nextHopConnections: 2,
      keyCacheMs: 0,
    });
    stack = await startTestMailstack(web.ctx.databaseUrl, {
      inboundTransport: 'gateway',
      gatewayLmtp: { host: '127.0.0.1', port: gateway.port },
      ports: { dovecotLmtp },
      masterUser: await webmailMasterCredentials(web.ctx),
    });
    web.ctx.config.webmail = {
      ...web.ctx.config.webmail,
      imap: { host: '127.0.0.1', port: stack.ports.imap },
      submission: { host: '127.0.0.1', port: stack.ports.submission },
    };
    const collective = await makeCollective(web.ctx);
    const domain = await makeDomain(web.ctx, { collectiveId: collective.id });
    box = await makeMailbox(web.ctx, { domainId: domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(web.ctx, box, TEST_PASSWORD);
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({
        from: 'Alice <alice@remote.example>',
        to: box.address,
        subject: 'Réunion du bureau',
        text: secret,
        html: `<p style="color: #333">${secret}</p><img src="https://tracker.example/pixel.gif" alt="">`,
        attachments: [{ filename: 'ordre-du-jour.txt', content: 'Point 1 : budget.' }],
      });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await gateway?.stop();
  });

  it('stores the message encrypted, and the owner reads it decrypted in the browser', async () => {
    const [stored] = await waitUntil('the stored message', () => {
      const files = storedFiles(stack.mailRoot, box.address);
      return files.length ? files : undefined;
    });
    expect(stored).toMatch(/multipart\/encrypted/);
    expect(stored).not.toContain('4827');

    const { page, assertClean, close } = await web.newPage();
    await page.goto(`${web.url}/login`);
    await page.getByRole('textbox', { name: 'Adresse e-mail' }).fill(box.address);
    await page.getByLabel('Mot de passe', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { level: 1, name: 'Ouvrir votre courrier' }).waitFor();
    await expectAccessible(page, 'unlock (fr)');
    await page.getByLabel('Mot de passe de la boîte').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Ouvrir' }).click();

    await page.getByRole('link', { name: /Réunion du bureau/ }).click();
    await page.getByRole('heading', { level: 2, name: 'Réunion du bureau' }).waitFor();
    const frame = page.frameLocator('iframe.message-frame');
    await frame.getByText(secret).waitFor();
    await page.getByText('1 contenu distant a été bloqué', { exact: false }).waitFor();
    expect(await frame.locator('img').getAttribute('src')).toBeNull();
    await page.getByRole('link', { name: 'ordre-du-jour.txt' }).waitFor();
    await page.getByText('Chiffré : seul ce navigateur', { exact: false }).waitFor();
    await expectAccessible(page, 'message (fr)');

    // A reload keeps the mail open without the password, from the sealed blob.
    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'Réunion du bureau' }).waitFor();
    await page.frameLocator('iframe.message-frame').getByText(secret).waitFor();
    const blob = await page.evaluate(() => sessionStorage.getItem('giroflee.mail.key'));
    expect(blob).toBeTruthy();
    expect(blob).not.toContain('PRIVATE KEY');

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 2, name: 'Réunion du bureau' }).waitFor();
    await expectAccessible(page, 'message (en)');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    assertClean();
    await close();
  });
});
