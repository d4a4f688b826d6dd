import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { dkimVerify } from 'mailauth';
import nodemailer from 'nodemailer';
import { dkimTxtValue, type DkimKeyRow } from '../../src/dns/dkim-keys';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { webmailMasterCredentials } from '../../src/mailstack/master-user';
import type { PlatformOutboundGateway } from '../../src/relay/components';
import {
  makeCollective,
  makeDkimKeys,
  makeDomain,
  makeMailbox,
  makeRelay,
  TEST_PASSWORD,
} from '../support/factories';
import { startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';
import { startEncryptingMailstack, type TestMailstack, webmailThrough } from '../support/mailstack';
import { fakeInternet } from '../support/fake-internet';
import { waitUntil } from '../support/wait-until';
import { startTestOutboundGateway } from '../support/outbound-gateway';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';
import { logInAndUnlock } from './support/pages';

/** The message files Dovecot stored in a folder of a mailbox (new/ and cur/, Maildir++ names). */
function storedFiles(mailRoot: string, address: string, folder = 'INBOX'): string[] {
  const [local, domain] = address.split('@');
  const root = path.join(mailRoot, domain, local, 'Maildir');
  const maildir = folder === 'INBOX' ? root : path.join(root, `.${folder}`);
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
  let outbound: PlatformOutboundGateway;
  let relay: FakeRelay;
  let dkim: DkimKeyRow[];
  let domainName: string;
  let stack: TestMailstack;
  let box: { id: string; address: string };
  const secret = 'Le code de la porte est 4827.';
  const internet = fakeInternet();
  // A 1×1 GIF: the sender's tracking pixel, on a server standing in for the sender's.
  const pixel = Buffer.from('R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==', 'base64');
  // Another sender's web site, a real HTTP server on loopback that counts what reaches it.
  const siteHits: string[] = [];
  const site = http.createServer((req, res) => {
    siteHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/gif', 'content-length': pixel.length });
    res.end(pixel);
  });
  let siteOrigin = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    // The server's fetcher refuses loopback on purpose; here the site's loopback address stands
    // in for a public one, and the rest of the internet stays in memory.
    web.ctx.remoteHttp = {
      async get(url, options) {
        if (url.origin !== siteOrigin) return internet.get(url, options);
        const response = await fetch(url, { headers: { accept: options.accept } });
        return {
          status: response.status,
          contentType: response.headers.get('content-type') ?? '',
          body: Buffer.from(await response.arrayBuffer()),
        };
      },
    };
    internet.serve('https://tracker.example/pixel.gif', { contentType: 'image/gif', body: pixel });
    // What the webmail sends leaves through the outbound gateway (DKIM) to a relay standing in
    // for the internet.
    relay = await startFakeRelay();
    await makeRelay(web.ctx, { name: 'primary', port: relay.port, priority: 10, role: 'primary' });
    outbound = await startTestOutboundGateway(web.ctx);
    ({ gateway, stack } = await startEncryptingMailstack(web.ctx, {
      outboundFilter: { host: '127.0.0.1', port: outbound.port },
      masterUser: await webmailMasterCredentials(web.ctx),
    }));
    web.ctx.config.webmail = webmailThrough(stack, web.ctx.config.webmail);
    const collective = await makeCollective(web.ctx);
    const domain = await makeDomain(web.ctx, { collectiveId: collective.id });
    domainName = domain.name;
    dkim = await makeDkimKeys(web.ctx, domain.id);
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
    await new Promise((resolve) => site.close(resolve));
    await stack?.stop();
    await gateway?.stop();
    await outbound?.stop();
    await relay?.stop();
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
    expect(internet.requested).toEqual([]);
    await expectAccessible(page, 'message with remote content blocked (fr)');
    // "Always for this sender": remembered on the server, encrypted; the image comes through it.
    await page.getByRole('button', { name: 'Toujours pour alice@remote.example' }).click();
    await page.getByText('vous faites confiance à alice@remote.example', { exact: false }).waitFor();
    await waitUntil('the image through the server', () =>
      internet.requested.includes('https://tracker.example/pixel.gif'),
    );
    expect(await frame.locator('img').getAttribute('src')).toMatch(/^\/api\/v1\/mail\/.+\/remote\?url=/);
    const [preferences] = await web.ctx.db('webmail_preferences').select('blob');
    expect(preferences.blob).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    expect(preferences.blob).not.toContain('remote.example');
    await page.getByRole('link', { name: 'ordre-du-jour.txt' }).waitFor();
    await page.getByText('Chiffré : seul ce navigateur', { exact: false }).waitFor();
    await expectAccessible(page, 'message (fr)');

    // A reload keeps the mail open without the password, from the sealed blob.
    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'Réunion du bureau' }).waitFor();
    await page.frameLocator('iframe.message-frame').getByText(secret).waitFor();
    // Remembered: the images load without asking, after a reload too.
    await page.getByText('vous faites confiance à alice@remote.example', { exact: false }).waitFor();
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

  it('replies by keyboard only: the draft and the Sent copy are stored PGP/MIME, the relay gets it DKIM-signed', async () => {
    const { page, assertClean, close } = await web.newPage();
    await logInAndUnlock(page, web.url, box.address, TEST_PASSWORD);
    // Shortcuts are on by default: j opens the next message, ? shows them all, r replies.
    await page.getByRole('link', { name: /Réunion du bureau/ }).waitFor();
    await page.keyboard.press('j');
    await page.getByRole('heading', { level: 2, name: 'Réunion du bureau' }).waitFor();
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Raccourcis clavier' }).waitFor();
    await expectAccessible(page, 'shortcut sheet (fr)');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await page.keyboard.press('r');
    await page.getByRole('heading', { level: 1, name: 'Répondre' }).waitFor();
    // The reply comes from the address the message was written to, to its author, quoted.
    const body = page.getByLabel('Message', { exact: true });
    await waitUntil('the cursor in the body', () => body.evaluate((el) => el === document.activeElement));
    expect(await page.getByLabel('De', { exact: true }).inputValue()).toBe(box.address);
    expect(await page.getByLabel('À', { exact: true }).inputValue()).toBe('Alice <alice@remote.example>');
    expect(await page.getByLabel('Objet').inputValue()).toBe('Re: Réunion du bureau');
    expect(await body.inputValue()).toContain(`> ${secret}`);
    const reply = 'Merci, je serai là mardi.';
    await page.keyboard.type(reply);
    // Alice has no key anywhere: no end-to-end encryption to offer.
    await page.getByText('aucune clé connue pour alice@remote.example').waitFor();
    await expectAccessible(page, 'compose (fr)');

    await page.getByText('Brouillon enregistré (chiffré)', { exact: false }).waitFor();
    const [draft] = storedFiles(stack.mailRoot, box.address, 'Drafts');
    expect(draft).toMatch(/multipart\/encrypted/);
    expect(draft).not.toContain('mardi');

    await page.keyboard.press('Control+Enter');
    await page.getByText('Message envoyé.').waitFor({ state: 'attached' });
    const got = await waitUntil('the reply at the relay', () =>
      relay.received.find((m) => m.raw.includes('mardi')),
    );
    expect(got.from).toBe(box.address);
    expect(got.to).toEqual(['alice@remote.example']);
    expect(got.raw).toContain('In-Reply-To: <');
    expect(got.raw).toContain('mardi');
    const zone = new Map(dkim.map((k) => [`${k.selector}._domainkey.${domainName}`, dkimTxtValue(k)]));
    const verdict = await dkimVerify(Buffer.from(got.raw), {
      resolver: async (name: string) => {
        const txt = zone.get(name.toLowerCase());
        if (!txt) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
        return [[txt]];
      },
      curTime: web.ctx.now(),
    });
    expect(verdict.results.length).toBeGreaterThan(0);
    expect(verdict.results.every((r) => r.status.result === 'pass' && r.signingDomain === domainName)).toBe(
      true,
    );

    const [copy] = await waitUntil('the Sent copy', () => {
      const files = storedFiles(stack.mailRoot, box.address, 'Sent');
      return files.length ? files : undefined;
    });
    expect(copy).toMatch(/multipart\/encrypted/);
    expect(copy).not.toContain('mardi');
    // The draft it was is gone once the message left.
    await waitUntil(
      'the draft removed',
      () => storedFiles(stack.mailRoot, box.address, 'Drafts').length === 0,
    );

    // Back on the message: the conversation includes the owner's own reply, from Sent.
    await page
      .getByRole('region', { name: 'Dans cette conversation' })
      .getByRole('link', { name: new RegExp(box.address.replace(/\./g, '\\.')) })
      .waitFor();
    // Conversations by default, a flat list by choice.
    await page.getByRole('button', { name: 'Conversations', pressed: true }).click();
    await page.getByRole('button', { name: 'Conversations', pressed: false }).waitFor();
    // New mail, pushed over SSE while the list is open, is shown and announced.
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from: 'bob@remote.example', to: box.address, subject: 'Ordre du jour', text: 'Voici.' });
    await page.getByRole('link', { name: /Ordre du jour/ }).waitFor();
    await page.getByText('1 nouveau message.').waitFor({ state: 'attached' });
    assertClean();
    await close();
  });

  it('blocks remote content until "load once", which goes through the server and lasts one opening', async () => {
    const subject = 'Lettre du potager';
    const image = `${siteOrigin}/potager.gif`;
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({
        from: 'Potager <lettre@potager.example>',
        to: box.address,
        subject,
        text: 'Les semis de la semaine.',
        html: `<p>Les semis de la semaine.</p><img src="${image}" alt="Le potager">`,
      });
    await waitUntil('the letter stored', () =>
      storedFiles(stack.mailRoot, box.address).some((f) => f.includes(subject)),
    );

    const { page, assertClean, close } = await web.newPage();
    await logInAndUnlock(page, web.url, box.address, TEST_PASSWORD);
    const letter = page.getByRole('link', { name: new RegExp(subject) });
    const frame = page.frameLocator('iframe.message-frame');
    const banner = page.getByText('1 contenu distant a été bloqué', { exact: false });
    await letter.click();
    await frame.getByText('Les semis de la semaine.').waitFor();
    await banner.waitFor();
    expect(await frame.locator('img').getAttribute('src')).toBeNull();

    // Once: the server fetches it from the site, the page shows what the server relayed.
    await page.getByRole('button', { name: 'Afficher pour ce message' }).click();
    await banner.waitFor({ state: 'detached' });
    await waitUntil('the image shown', () =>
      frame.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
    );
    expect(await frame.locator('img').getAttribute('src')).toBe(
      `/api/v1/mail/${encodeURIComponent(box.address)}/remote?url=${encodeURIComponent(image)}`,
    );
    expect(siteHits).toEqual(['/potager.gif']);

    // Opened again, it is blocked again: "once" was not remembered.
    await page.getByRole('link', { name: 'Retour à la liste' }).click();
    await letter.click();
    await frame.getByText('Les semis de la semaine.').waitFor();
    await banner.waitFor();
    expect(await frame.locator('img').getAttribute('src')).toBeNull();
    expect(siteHits).toEqual(['/potager.gif']);
    assertClean();
    await close();
  });

  it('marks a message as junk from the list, as not junk from the reader by its shortcut, and deletes it by its key', async () => {
    const subject = 'Offre exceptionnelle';
    const holds = (folder: string) =>
      storedFiles(stack.mailRoot, box.address, folder).some((f) => f.includes(subject));
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from: 'promo@remote.example', to: box.address, subject, text: 'Gagnez un voyage.' });
    await waitUntil('the offer stored', () => holds('INBOX'));

    const { page, assertClean, close } = await web.newPage();
    await logInAndUnlock(page, web.url, box.address, TEST_PASSWORD);
    const offer = page.getByRole('link', { name: new RegExp(subject) });
    await offer.waitFor();
    // Ticked in the list, moved by the toolbar's button: gone from the inbox, in Junk, said aloud.
    await page.getByRole('checkbox', { name: new RegExp(`Sélectionner : ${subject}`) }).check();
    await page.getByText('1 message sélectionné').waitFor();
    await expectAccessible(page, 'list with a selection (fr)');
    await page.locator('.mail-toolbar').getByRole('button', { name: 'Indésirable', exact: true }).click();
    await page.getByText('1 message déplacé dans les indésirables.').waitFor({ state: 'attached' });
    await offer.waitFor({ state: 'detached' });
    await waitUntil('the offer in Junk', () => holds('Junk'));
    expect(holds('INBOX')).toBe(false);

    // In Junk, the reader offers "not junk", and `!` (in the ? sheet) presses it.
    await page
      .getByRole('navigation', { name: 'Dossiers' })
      .getByRole('link', { name: /Indésirables/ })
      .click();
    await offer.click();
    await page.getByRole('heading', { level: 2, name: subject }).waitFor();
    await page.getByText('Gagnez un voyage.').waitFor();
    await page.getByRole('button', { name: 'Pas indésirable', exact: true }).waitFor();
    await expectAccessible(page, 'message in Junk (fr)');
    await page.keyboard.press('?');
    const sheet = page.getByRole('dialog', { name: 'Raccourcis clavier' });
    await sheet.getByRole('row', { name: /! Indésirable \/ pas indésirable/ }).waitFor();
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'hidden' });
    await page.keyboard.press('!');
    await page.getByText('1 message remis dans la boîte de réception.').waitFor({ state: 'attached' });
    // The message closes with its move; Junk is empty again, the inbox has it back.
    await page.getByText('Aucun message dans ce dossier.').waitFor();
    await page.getByRole('heading', { level: 2, name: subject }).waitFor({ state: 'detached' });
    await waitUntil('the offer back in the inbox', () => holds('INBOX'));
    expect(holds('Junk')).toBe(false);
    await page
      .getByRole('navigation', { name: 'Dossiers' })
      .getByRole('link', { name: /Réception/ })
      .click();
    // Deleted by its key (Suppr), from the reader: into the Trash.
    await offer.click();
    await page.getByRole('heading', { level: 2, name: subject }).waitFor();
    await page.keyboard.press('Delete');
    await page.getByText('1 message mis à la corbeille.').waitFor({ state: 'attached' });
    await offer.waitFor({ state: 'detached' });
    await waitUntil('the offer in the Trash', () => holds('Trash'));
    expect(holds('INBOX')).toBe(false);
    assertClean();
    await close();
  });
});
