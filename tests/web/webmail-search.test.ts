import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Page } from 'playwright-core';
import type { LmtpGateway } from '../../src/encryption/lmtp-gateway';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { webmailMasterCredentials } from '../../src/mailstack/master-user';
import { makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { startEncryptingMailstack, type TestMailstack, webmailThrough } from '../support/mailstack';
import { waitUntil } from '../support/wait-until';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';
import { logInAndUnlock, screenshot } from './support/pages';

/** Every value of every store of the page's search database, bytes as latin1 text, to grep. */
function readSearchDatabase(page: Page, address: string): Promise<{ records: number; dump: string }> {
  return page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const text = (v: unknown): string => {
      if (v instanceof ArrayBuffer) return text(new Uint8Array(v));
      if (ArrayBuffer.isView(v)) {
        const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        let s = '';
        for (const c of b) s += String.fromCharCode(c);
        return s;
      }
      if (v && typeof v === 'object') return Object.values(v).map(text).join('\n');
      return String(v);
    };
    let records = 0;
    let dump = '';
    for (const store of Array.from(db.objectStoreNames)) {
      const values = await new Promise<unknown[]>((resolve, reject) => {
        const req = db.transaction(store).objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      records += values.length;
      dump += values.map(text).join('\n');
    }
    db.close();
    return { records, dump };
  }, `giroflee-search:${address}`);
}

/**
 * The local body search on the real stack: mail through Postfix's MX, encrypted by the gateway;
 * in Chromium the webmail decrypts and indexes it, and finds words the server cannot see.
 */
describe('webmail body search in Chromium', () => {
  const web = useWebApp();
  let gateway: LmtpGateway | undefined;
  let stack: TestMailstack | undefined;
  let box: { id: string; address: string };
  // Words only in the bodies (and one only in a protected subject): the server never sees them.
  const bodyWord = 'ornithorynque';
  const laterWord = 'kangourou';

  const send = (subject: string, text: string) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: stack!.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from: 'Alice <alice@remote.example>', to: box.address, subject, text });

  const stored = () => {
    const [local, domain] = box.address.split('@');
    const root = path.join(stack!.mailRoot, domain, local, 'Maildir');
    return ['new', 'cur'].flatMap((sub) =>
      fs.existsSync(path.join(root, sub)) ? fs.readdirSync(path.join(root, sub)) : [],
    );
  };

  afterAll(async () => {
    await stack?.stop();
    await gateway?.stop();
  });

  beforeAll(async () => {
    ({ gateway, stack } = await startEncryptingMailstack(web.ctx, {
      masterUser: await webmailMasterCredentials(web.ctx),
    }));
    web.ctx.config.webmail = webmailThrough(stack, web.ctx.config.webmail);
    const collective = await makeCollective(web.ctx);
    const domain = await makeDomain(web.ctx, { collectiveId: collective.id });
    box = await makeMailbox(web.ctx, { domainId: domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(web.ctx, box, TEST_PASSWORD);
    await send('Compte rendu', `Nous avons vu un ${bodyWord} au bord de la rivière.`);
    await send('Cotisations', 'Le trésorier rappelle les cotisations.');
    await send('Atelier vélo', 'Rendez-vous samedi à l’atelier.');
    await waitUntil('three stored messages', () => stored().length === 3);
  }, 120_000);

  it('finds a word only in a body, keeps the index encrypted, and a reload does not index again', async () => {
    const { page, assertClean, close } = await web.newPage();
    await logInAndUnlock(page, web.url, box.address, TEST_PASSWORD);

    await page.getByText('les 3 messages de ce dossier sont indexés', { exact: false }).waitFor();
    const search = page.getByRole('searchbox', { name: 'Rechercher' });
    await search.fill(bodyWord);
    await search.press('Enter');
    const results = page.getByRole('region', { name: `Résultats pour « ${bodyWord} »` });
    // The server's header search cannot see it; the local index can, and says where it comes from.
    await results.getByRole('heading', { name: 'Dans les en-têtes, sur le serveur : 0 message' }).waitFor();
    await results
      .getByRole('heading', { name: 'Dans le texte, index de ce navigateur : 1 message' })
      .waitFor();
    await page.getByText('Trouvés : 0 dans les en-têtes, 1 dans le texte des messages.').waitFor({
      state: 'attached',
    });
    await expectAccessible(page, 'search results (fr)');
    await results.getByRole('link', { name: /Compte rendu/ }).click();
    await page.getByRole('heading', { level: 2, name: 'Compte rendu' }).waitFor();
    await page.getByText(`Nous avons vu un ${bodyWord}`).waitFor();
    // The results stay beside the open message, which they mark.
    expect(await results.getByRole('link', { name: /Compte rendu/ }).getAttribute('aria-current')).toBe(
      'true',
    );
    await screenshot(page, 'webmail-search');

    // `/` goes to the search field, the last query selected. A header word: found by the server, in its own section;
    // accents folded by the local index.
    await page.keyboard.press('/');
    await waitUntil('the search field focused', () => search.evaluate((el) => el === document.activeElement));
    await page.keyboard.type('cotisation');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dans les en-têtes, sur le serveur : 1 message' }).waitFor();
    await search.fill('riviere');
    await search.press('Enter');
    await page.getByRole('heading', { name: 'Dans le texte, index de ce navigateur : 1 message' }).waitFor();
    // Escape leaves the search for the list again, which listens for new mail (SSE).
    const listening = page.waitForResponse((r) => r.url().includes('/events?'));
    await search.press('Escape');
    await page.getByRole('link', { name: /Atelier vélo/ }).waitFor();
    await listening;

    // What IndexedDB holds is ciphertext: no word of a body or a subject.
    const { records, dump } = await readSearchDatabase(page, box.address);
    expect(records).toBeGreaterThanOrEqual(4); // the wrapped key, a folder, three messages
    for (const word of [
      bodyWord,
      'rivière',
      'riviere',
      'trésorier',
      'samedi',
      'Compte rendu',
      'Cotisations',
    ]) {
      expect(dump).not.toContain(word);
    }

    // New mail pushed over SSE is indexed as it arrives.
    await send('Sortie nature', `Un ${laterWord} dans le parc.`);
    await page.getByRole('link', { name: /Sortie nature/ }).waitFor();
    await page.getByText('les 4 messages de ce dossier sont indexés', { exact: false }).waitFor();
    await search.fill(laterWord);
    await search.press('Enter');
    await page.getByRole('link', { name: /Sortie nature/ }).waitFor();

    // A reload opens the stored index: found again without fetching a single message.
    const fetched: string[] = [];
    page.on('request', (r) => {
      if (/\/folders\/[^/]+\/messages\/\d+$/.test(new URL(r.url()).pathname)) fetched.push(r.url());
    });
    await page.goto(`${web.url}/mail`);
    await page.getByText('les 4 messages de ce dossier sont indexés', { exact: false }).waitFor();
    await search.fill(bodyWord);
    await search.press('Enter');
    await page.getByRole('link', { name: /Compte rendu/ }).waitFor();
    expect(fetched).toEqual([]);

    // Logout forgets the index in memory; what stays in IndexedDB is still ciphertext.
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/login$/);
    expect((await readSearchDatabase(page, box.address)).dump).not.toContain(bodyWord);
    assertClean();
    await close();
  });
});
