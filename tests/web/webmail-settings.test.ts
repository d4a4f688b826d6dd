import fs from 'node:fs';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import * as openpgp from 'openpgp';
import type { Page } from 'playwright-core';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { listMailboxKeys, provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { webmailMasterCredentials } from '../../src/mailstack/master-user';
import type { PlatformOutboundGateway } from '../../src/relay/components';
import { startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';
import {
  makeCollective,
  makeDkimKeys,
  makeDomain,
  makeMailbox,
  makeRelay,
  TEST_PASSWORD,
} from '../support/factories';
import { fakeInternet } from '../support/fake-internet';
import { startEncryptingMailstack, type TestMailstack, webmailThrough } from '../support/mailstack';
import { waitUntil } from '../support/wait-until';
import { startTestOutboundGateway } from '../support/outbound-gateway';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';
import { headingIs } from './support/pages';

/** The message files Dovecot stored in a folder of a mailbox (Maildir++). */
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

/** RFC 3156 §5: the signed part of a multipart/signed message, byte for byte, and its signature. */
function signedParts(raw: string): { signed: string; signature: string; micalg: string } {
  const type = /^Content-Type: multipart\/signed;([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im.exec(raw)?.[1] ?? '';
  const boundary = /boundary="([^"]+)"/.exec(type)?.[1];
  if (!boundary) throw new Error(`not multipart/signed:\n${raw.slice(0, 2000)}`);
  const delimiter = `\r\n--${boundary}`;
  const first = raw.indexOf(`--${boundary}\r\n`);
  const start = first + boundary.length + 4;
  const end = raw.indexOf(delimiter, start);
  const armored = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/.exec(raw.slice(end));
  return {
    signed: raw.slice(start, end),
    signature: armored?.[0] ?? '',
    micalg: /micalg="?([^";]+)/.exec(type)?.[1] ?? '',
  };
}

/**
 * The webmail's settings on the real stack: signatures and "sign outgoing mail" (a signature the
 * test checks with openpgp), app passwords, the vacation reply, a temporary password changed
 * before unlocking, recovery from the login page; axe on every screen in French and English,
 * the message being one that reaches for remote content every way it can.
 */
describe('webmail settings in Chromium', () => {
  const web = useWebApp();
  let gateway: LmtpGateway;
  let outbound: PlatformOutboundGateway;
  let relay: FakeRelay;
  let stack: TestMailstack;
  let box: { id: string; address: string };
  let domainId: string;
  const internet = fakeInternet();
  const pixel = Buffer.from('R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==', 'base64');
  const secret = 'Le code du local est 5531.';

  const send = (message: SendMailOptions) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail(message);

  beforeAll(async () => {
    web.ctx.remoteHttp = internet;
    for (const name of ['img', 'srcset', 'inline-style', 'sheet', 'background', 'image-set']) {
      internet.serve(`https://remote.example/${name}.gif`, { contentType: 'image/gif', body: pixel });
    }
    internet.serve('https://remote.example/font.woff2', { contentType: 'font/woff2', body: 'wOF2' });
    relay = await startFakeRelay();
    web.beforeStop(async () => {
      await stack?.stop();
      await gateway?.stop();
      await outbound?.stop();
      await relay?.stop();
    });
    await makeRelay(web.ctx, { name: 'primary', port: relay.port, priority: 10, role: 'primary' });
    outbound = await startTestOutboundGateway(web.ctx);
    ({ gateway, stack } = await startEncryptingMailstack(web.ctx, {
      outboundFilter: { host: '127.0.0.1', port: outbound.port },
      masterUser: await webmailMasterCredentials(web.ctx),
    }));
    web.ctx.config.webmail = webmailThrough(stack, web.ctx.config.webmail);
    // Storage and the vacation reply come from this stack's Dovecot (doveadm, ManageSieve).
    web.ctx.config.doveadm = { host: '127.0.0.1', port: stack.ports.doveadm };
    web.ctx.config.managesieve = { host: '127.0.0.1', port: stack.ports.managesieve };
    const collective = await makeCollective(web.ctx);
    const domain = await makeDomain(web.ctx, { collectiveId: collective.id });
    domainId = domain.id;
    await makeDkimKeys(web.ctx, domain.id);
    box = await makeMailbox(web.ctx, { domainId, encryptionMode: 'generated' });
    await provisionMailboxKeys(web.ctx, box, TEST_PASSWORD);
    await send({
      from: 'Alice <alice@remote.example>',
      to: box.address,
      subject: 'Compte rendu',
      text: secret,
      // Every way a message reaches for another server: none may load before "load once", and
      // after it only through the server's proxy.
      html: [
        '<style>@font-face{font-family:x;src:url(https://remote.example/font.woff2)}',
        '.a{background:url("https://remote.example/sheet.gif")}',
        '.b{background-image:image-set("https://remote.example/image-set.gif" 1x)}',
        '@import "https://remote.example/import.css";</style>',
        `<p class="a b" style="font-family:x">${secret}</p>`,
        '<img src="https://remote.example/img.gif" alt="un">',
        '<img srcset="https://remote.example/srcset.gif 1x" alt="deux">',
        '<div style="background-image:url(//remote.example/inline-style.gif)">trois</div>',
        '<table background="https://remote.example/background.gif"><tr><td>quatre</td></tr></table>',
      ].join(''),
    });
    await waitUntil('the message stored', () => storedFiles(stack.mailRoot, box.address).length > 0);
  }, 150_000);

  // This stack runs without doveadm's HTTP API (no doveadmApiKey), so the quota route answers
  // 503 and the page shows the API's error: the test lets that one route's 503 through.
  const QUOTA = /\/quota$/;

  async function logIn(page: Page, address: string, password: string, unlock = true): Promise<void> {
    await page.goto(`${web.url}/login`);
    await page.getByRole('textbox', { name: /Adresse e-mail|E-mail address/ }).fill(address);
    await page.getByLabel(/^(Mot de passe|Password)$/).fill(password);
    await page.getByRole('button', { name: /^(Se connecter|Log in)$/ }).click();
    if (!unlock) return;
    await page.getByLabel(/^(Mot de passe de la boîte|Mailbox password)$/).fill(password);
    await page.getByRole('button', { name: /^(Ouvrir|Open)$/ }).click();
  }

  it('passes axe on every webmail screen, in French and in English', async () => {
    for (const language of ['fr', 'en'] as const) {
      const fr = language === 'fr';
      const { page, assertClean, close } = await web.newPage({ language });
      await page.goto(`${web.url}/login`);
      await expectAccessible(page, `login (${language})`);
      await page
        .getByRole('link', { name: fr ? /Mot de passe de boîte oublié/ : /Forgot a mailbox password/ })
        .click();
      await headingIs(page, fr ? 'Mot de passe de boîte oublié' : 'Forgotten mailbox password');
      await expectAccessible(page, `recovery from the login page (${language})`);
      await logIn(page, box.address, TEST_PASSWORD, false);
      await headingIs(page, fr ? 'Ouvrir votre courrier' : 'Open your mail');
      await expectAccessible(page, `unlock (${language})`);
      await page.getByLabel(fr ? 'Mot de passe de la boîte' : 'Mailbox password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: fr ? 'Ouvrir' : 'Open' }).click();
      await page.getByRole('link', { name: /Compte rendu/ }).waitFor();
      await expectAccessible(page, `list (${language})`);
      await page.getByRole('link', { name: /Compte rendu/ }).click();
      await page.getByRole('heading', { level: 2, name: 'Compte rendu' }).waitFor();
      await page.frameLocator('iframe.message-frame').getByText(secret).waitFor();
      await expectAccessible(page, `message (${language})`);
      await page.getByRole('link', { name: fr ? 'Répondre' : 'Reply', exact: true }).click();
      await headingIs(page, fr ? 'Répondre' : 'Reply');
      await page.getByLabel(fr ? 'Objet' : 'Subject').waitFor();
      await expectAccessible(page, `compose (${language})`);
      await page.getByRole('button', { name: fr ? 'Abandonner' : 'Discard' }).click();
      await page.getByRole('link', { name: fr ? 'Réglages' : 'Settings' }).click();
      await headingIs(page, fr ? 'Réglages' : 'Settings');
      await page.getByLabel(fr ? `Signature pour ${box.address}` : `Signature for ${box.address}`).waitFor();
      // Storage as Dovecot counts it, or why it cannot be read, in the page's language.
      await page
        .locator('#settings-quota')
        .locator('..')
        .getByText(fr ? /utilisés|Dovecot|indisponible/ : /\bused\b|Dovecot|unavailable/)
        .first()
        .waitFor();
      await page.getByText(fr ? 'Aucun mot de passe d’application.' : 'No app password.').waitFor();
      await expectAccessible(page, `settings (${language})`);
      assertClean(QUOTA);
      await close();
    }
  });

  it('signs outgoing mail when the owner chooses to, with the identity’s signature; the signature verifies', async () => {
    const { page, assertClean, close } = await web.newPage();
    await logIn(page, box.address, TEST_PASSWORD);
    await page.getByRole('link', { name: 'Réglages' }).click();
    await headingIs(page, 'Réglages');
    await page.getByLabel(`Signature pour ${box.address}`).fill('Camille\nTrésorerie du jardin');
    await page.getByLabel('Signer les messages envoyés (OpenPGP)').check();
    await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await page.getByText('Réglages d’écriture enregistrés.').first().waitFor();
    // Kept encrypted to the mailbox's key, like the rest of the webmail's preferences.
    const [preferences] = await web.ctx.db('webmail_preferences').select('blob');
    expect(preferences.blob).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    expect(preferences.blob).not.toContain('Trésorerie');

    await page.getByRole('link', { name: 'Écrire' }).click();
    await headingIs(page, 'Nouveau message');
    const body = page.getByLabel('Message', { exact: true });
    await waitUntil('the signature in the body', async () =>
      (await body.inputValue()).includes('-- \nCamille\nTrésorerie du jardin'),
    );
    expect(await page.getByLabel('Signer le message (OpenPGP)').isChecked()).toBe(true);
    await page.getByLabel('À', { exact: true }).fill('bob@remote.example');
    await page.getByLabel('Objet').fill('Budget signé');
    await body.press('Control+Home');
    await body.pressSequentially('Voici le budget, signé.');
    await page.getByText('aucune clé connue pour bob@remote.example').waitFor();
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await page.getByText('Message envoyé.').waitFor({ state: 'attached' });

    const got = await waitUntil('the signed message at the relay', () =>
      relay.received.find((m) => m.raw.includes('multipart/signed')),
    );
    const { signed, signature, micalg } = signedParts(got.raw);
    expect(signed).toContain('Voici le budget, sign=C3=A9.');
    expect(micalg).toMatch(/^pgp-sha(256|384|512)$/);
    const [key] = (await listMailboxKeys(web.ctx, box.id)).filter((k) => k.state === 'active');
    // The browser stamps the signature with its own clock, not the test's.
    const now = new Date();
    const verification = await openpgp.verify({
      message: await openpgp.createMessage({ binary: Buffer.from(signed, 'latin1') }),
      signature: await openpgp.readSignature({ armoredSignature: signature }),
      verificationKeys: await openpgp.readKey({ armoredKey: key.public_key }),
      date: now,
    });
    await expect(verification.signatures[0].verified).resolves.toBe(true);
    // A changed byte breaks it: the check above is not a formality.
    const tampered = await openpgp.verify({
      message: await openpgp.createMessage({
        binary: Buffer.from(signed.replace('budget', 'Budget'), 'latin1'),
      }),
      signature: await openpgp.readSignature({ armoredSignature: signature }),
      verificationKeys: await openpgp.readKey({ armoredKey: key.public_key }),
      date: now,
    });
    await expect(tampered.signatures[0].verified).rejects.toThrow();
    assertClean(QUOTA);
    await close();
  });

  it('creates an app password shown once, revokes it, saves a vacation reply and a filter', async () => {
    const { page, assertClean, close } = await web.newPage({ language: 'en' });
    await logIn(page, box.address, TEST_PASSWORD);
    await page.getByRole('link', { name: 'Settings' }).click();
    await headingIs(page, 'Settings');
    // Refusals are shown in the person's language.
    await page.getByRole('button', { name: 'Create an app password' }).click();
    await page.getByText('Give this password a name.').waitFor();
    await page.getByLabel('Name of the program').fill('Thunderbird');
    await page.getByRole('button', { name: 'Create an app password' }).click();
    await page.getByRole('heading', { name: 'Password for “Thunderbird”' }).waitFor();
    const shown = (await page.locator('.copy-field-value').textContent()) ?? '';
    expect(shown.length).toBeGreaterThanOrEqual(16);
    await page.getByRole('button', { name: 'Done, I copied it' }).click();
    await expect(page.locator('.copy-field-value').count()).resolves.toBe(0);
    expect(await web.ctx.db('app_passwords').where({ mailbox_id: box.id }).count({ n: '*' })).toEqual([
      { n: '1' },
    ]);
    await page.getByRole('button', { name: 'Revoke Thunderbird' }).click();
    await page.getByText('No app password.').waitFor();

    await page.getByLabel('Reply automatically while I am away').check();
    await page.getByLabel('Subject of the reply').fill('Away');
    await page.getByRole('button', { name: 'Save the vacation reply' }).click();
    // The body is required: the API's refusal, in English.
    await page.getByRole('alert').filter({ hasText: 'Invalid request' }).waitFor();
    await page.getByLabel('Text of the reply').fill('Back on Monday.');
    await page.getByRole('button', { name: 'Save the vacation reply' }).click();
    await page.getByText('Vacation reply on.').first().waitFor();
    // Read back from Dovecot's ManageSieve after a reload.
    await page.reload();
    await headingIs(page, 'Settings');
    await waitUntil(
      'the vacation reply read back',
      async () => (await page.getByLabel('Subject of the reply').count()) > 0,
    );
    expect(await page.getByLabel('Subject of the reply').inputValue()).toBe('Away');
    expect(await page.getByLabel('Text of the reply').inputValue()).toBe('Back on Monday.');

    // A filter, run by Dovecot at delivery on the clear headers: the message lands in its folder.
    const filters = page.getByRole('region', { name: 'Filters' });
    await filters.getByText('No filter.').waitFor();
    await filters.getByLabel('Header').selectOption('subject');
    await filters.getByRole('button', { name: 'Add the filter' }).click();
    await filters.getByText('Type the value to look for.').waitFor();
    await filters.getByLabel('Value').fill('Invoice');
    await filters.getByLabel('Name of the new folder').fill('Invoices');
    await filters.getByRole('button', { name: 'Add the filter' }).click();
    await filters.getByText('Filter added.').waitFor();
    const rule = 'Subject contains “Invoice”: file into Invoices';
    await filters.getByText(rule).waitFor();
    await expectAccessible(page, 'settings with a filter (en)');
    await send({ from: 'shop@remote.example', to: box.address, subject: 'Invoice 42', text: 'Amount due.' });
    await waitUntil(
      'the invoice filed by the filter',
      () => storedFiles(stack.mailRoot, box.address, 'Invoices').length > 0,
    );
    // One script holds both: the vacation reply is still on, the filter still there.
    await page.reload();
    await headingIs(page, 'Settings');
    await filters.getByText(rule).waitFor();
    expect(await page.getByLabel('Subject of the reply').inputValue()).toBe('Away');
    await filters.getByRole('button', { name: `Remove the filter: ${rule}` }).click();
    await filters.getByText('No filter.').waitFor();
    await filters.getByText('Filter removed.').waitFor();
    assertClean(QUOTA);
    await close();
  });

  it('makes a mailbox with a temporary password choose its own before unlocking, then recover it from the login page', async () => {
    const other = await makeMailbox(web.ctx, { domainId, encryptionMode: 'generated' });
    await provisionMailboxKeys(web.ctx, other, TEST_PASSWORD);
    await web.ctx.db('mailboxes').where({ id: other.id }).update({ must_change_password: true });
    await send({
      from: 'alice@remote.example',
      to: other.address,
      subject: 'Bienvenue',
      text: 'Premier message.',
    });
    await waitUntil('the message stored', () => storedFiles(stack.mailRoot, other.address).length > 0);

    const { page, assertClean, close } = await web.newPage();
    await logIn(page, other.address, TEST_PASSWORD, false);
    await page.waitForURL(/\/password$/);
    await headingIs(page, 'Choisissez votre mot de passe');
    await expectAccessible(page, 'mailbox forced password change (fr)');
    // Nothing of the mail is reachable before.
    await page.goto(`${web.url}/mail`);
    await page.waitForURL(/\/password$/);
    const chosen = 'les radis du jardin partagé poussent vite';
    await page.getByLabel('Mot de passe à usage unique').fill(TEST_PASSWORD);
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(chosen);
    await page.getByLabel('Nouveau mot de passe, une seconde fois').fill(chosen);
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await headingIs(page, 'Votre code de récupération');
    const code = (await page.getByTestId('recovery-code').textContent()) ?? '';
    expect(code.replace(/[\s-]/g, '')).toHaveLength(32);
    await expectAccessible(page, 'recovery code shown once (fr)');
    await page.getByRole('button', { name: 'Continuer' }).click();
    await page.getByText('Cochez cette case une fois le code noté').waitFor();
    await page.getByLabel('J’ai noté ce code').check();
    await page.getByRole('button', { name: 'Continuer' }).click();
    await headingIs(page, 'Ouvrir votre courrier');
    await page.getByLabel('Mot de passe de la boîte').fill(chosen);
    await page.getByRole('button', { name: 'Ouvrir' }).click();
    await page.getByRole('link', { name: /Bienvenue/ }).click();
    await page.locator('pre.mail-text').getByText('Premier message.').waitFor();
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/login$/);

    // Forgotten: the code from the login page sets another password and gives a new code.
    await page.getByRole('link', { name: /Mot de passe de boîte oublié/ }).click();
    await headingIs(page, 'Mot de passe de boîte oublié');
    const again = 'un nouveau carnet pour les graines de tomates';
    await page.getByLabel('Adresse de la boîte').fill(other.address);
    await page.getByLabel('Code de récupération').fill('AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA');
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(again);
    await page.getByLabel('Nouveau mot de passe, une seconde fois').fill(again);
    await page.getByRole('button', { name: 'Rouvrir ma boîte' }).click();
    await page.getByText('Ce code de secours n’ouvre aucune clé à cette adresse.').waitFor();
    await page.getByLabel('Code de récupération').fill(code);
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(again);
    await page.getByLabel('Nouveau mot de passe, une seconde fois').fill(again);
    await page.getByRole('button', { name: 'Rouvrir ma boîte' }).click();
    await headingIs(page, 'Votre code de récupération');
    const fresh = (await page.getByTestId('recovery-code').textContent()) ?? '';
    expect(fresh).not.toBe(code);
    await page.getByLabel('J’ai noté ce code').check();
    await page.getByRole('button', { name: 'Aller à mon courrier' }).click();
    await headingIs(page, 'Ouvrir votre courrier');
    await page.getByLabel('Mot de passe de la boîte').fill(again);
    await page.getByRole('button', { name: 'Ouvrir' }).click();
    await page.getByRole('link', { name: /Bienvenue/ }).waitFor();
    assertClean(QUOTA);
    await close();
  });

  it('changes the password in Settings: after logging out, the new one logs in and unlocks mail that came before', async () => {
    const owner = await makeMailbox(web.ctx, { domainId, encryptionMode: 'generated' });
    await provisionMailboxKeys(web.ctx, owner, TEST_PASSWORD);
    await send({ from: 'alice@remote.example', to: owner.address, subject: 'Avant', text: 'Écrit avant.' });
    await waitUntil('the message stored', () => storedFiles(stack.mailRoot, owner.address).length > 0);
    const [before] = await listMailboxKeys(web.ctx, owner.id);

    const { page, assertClean, close } = await web.newPage();
    await logIn(page, owner.address, TEST_PASSWORD);
    await page.getByRole('link', { name: /Avant/ }).waitFor();
    await page.getByRole('link', { name: 'Réglages' }).click();
    await headingIs(page, 'Réglages');
    const chosen = 'une haie de noisetiers borde le verger communal';
    const form = page.getByRole('region', { name: 'Mot de passe', exact: true });
    await form.getByLabel('Mot de passe actuel').fill(TEST_PASSWORD);
    await form.getByLabel('Nouveau mot de passe', { exact: true }).fill(chosen);
    await form.getByLabel('Nouveau mot de passe, une seconde fois').fill(chosen);
    await form.getByRole('button', { name: 'Changer le mot de passe' }).click();
    // The server answers once the key is re-wrapped: the notice is that answer.
    await form.getByText('Mot de passe changé. Vos autres sessions sont fermées.').waitFor();
    const [after] = await listMailboxKeys(web.ctx, owner.id);
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(after.private_key).not.toBe(before.private_key);
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/login$/);

    // The old password opens nothing any more; the new one logs in and unlocks the same key.
    await logIn(page, owner.address, TEST_PASSWORD, false);
    await page.getByText('Adresse ou mot de passe incorrect', { exact: false }).waitFor();
    await logIn(page, owner.address, chosen);
    await page.getByRole('link', { name: /Avant/ }).click();
    await page.locator('pre.mail-text').getByText('Écrit avant.').waitFor();
    assertClean(QUOTA);
    await close();
  });
});
