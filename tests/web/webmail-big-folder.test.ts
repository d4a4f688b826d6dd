import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { webmailMasterCredentials } from '../../src/mailstack/master-user';
import { makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { startTestMailstack, type TestMailstack, webmailThrough } from '../support/mailstack';
import { waitUntil } from '../support/wait-until';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';
import { logInAndUnlock } from './support/pages';

const run = promisify(execFile);
const COUNT = 300;

/** Subject of seeded message n: 0 is the oldest, COUNT - 1 the newest. */
const subject = (n: number) => `Message ${String(n).padStart(3, '0')} du dossier`;

/** What the list has in the page: its rows' positions (aria-posinset) and how many there are. */
function rowsInDom(page: Page): Promise<{ positions: number[]; setSize: string | null }> {
  return page.evaluate(() => {
    const rows = Array.from(document.querySelectorAll('ul.mail-list-windowed > li'));
    return {
      positions: rows.map((li) => Number(li.getAttribute('aria-posinset'))),
      setSize: rows[0]?.getAttribute('aria-setsize') ?? null,
    };
  });
}

/** The text of the focused element's row (its sender and subject). */
const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? '');

/**
 * A folder of a few hundred messages in Chromium: the list renders only the rows in view, loads
 * the next pages as the end nears, reaches the last message by scrolling and by keyboard, and
 * drops what another client expunged.
 */
describe('webmail big folder in Chromium', () => {
  const web = useWebApp();
  let stack: TestMailstack | undefined;
  let box: { id: string; address: string };
  let doveadm: (...args: string[]) => Promise<string>;

  afterAll(async () => {
    await stack?.stop();
  });

  beforeAll(async () => {
    const starting = startTestMailstack(web.ctx.databaseUrl, {
      inboundTransport: 'dovecot',
      masterUser: await webmailMasterCredentials(web.ctx),
    });
    // Stopped by afterAll even if this hook times out while it starts.
    starting.then((s) => (stack = s)).catch(() => undefined);
    stack = await starting;
    web.ctx.config.webmail = webmailThrough(stack, web.ctx.config.webmail);
    const collective = await makeCollective(web.ctx);
    const domain = await makeDomain(web.ctx, { collectiveId: collective.id });
    box = await makeMailbox(web.ctx, { domainId: domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(web.ctx, box, TEST_PASSWORD);

    // Years of mail written as Maildir files, then synced by Dovecot once: IMAP APPEND of
    // hundreds of messages would cost minutes on a loaded machine.
    const config = stack.settings.paths.dovecotConfigFile;
    doveadm = async (...args) => (await run('doveadm', ['-c', config, ...args])).stdout;
    await doveadm('mailbox', 'status', '-u', box.address, 'messages', 'INBOX');
    const maildir = path.join((await doveadm('user', '-f', 'home', box.address)).trim(), 'Maildir');
    const base = Date.UTC(2026, 0, 1);
    for (let n = 0; n < COUNT; n++) {
      const date = new Date(base + n * 60_000);
      const file = [
        `From: Expéditeur ${n % 7} <sender${n % 7}@remote.example>`,
        `To: <${box.address}>`,
        `Subject: ${subject(n)}`,
        `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
        `Message-ID: <big-${n}@remote.example>`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        `Corps du message ${n}.`,
        '',
      ].join('\n');
      const name = path.join(maildir, 'cur', `${Math.floor(date.getTime() / 1000)}.M${n}P1.test:2,S`);
      await fs.writeFile(name, file, { mode: 0o600 });
      await fs.chown(name, stack.settings.vmail.uid, stack.settings.vmail.gid);
    }
    const status = await doveadm('mailbox', 'status', '-u', box.address, 'messages', 'INBOX');
    expect(status).toContain(`messages=${COUNT}`);
  }, 180_000);

  async function openFlatList(page: Page): Promise<void> {
    await logInAndUnlock(page, web.url, box.address, TEST_PASSWORD);
    await page.locator('ul.mail-list-windowed > li').first().waitFor();
    // One row per message (the messages are no conversation anyway).
    const conversations = page.getByRole('button', { name: 'Conversations' });
    if ((await conversations.getAttribute('aria-pressed')) === 'true') await conversations.click();
    await waitUntil(
      'the flat list',
      async () => (await conversations.getAttribute('aria-pressed')) === 'false',
    );
  }

  it('renders only the rows in view, and reaches the last message by scrolling', async () => {
    const { page, assertClean, close } = await web.newPage();
    await openFlatList(page);
    const first = await rowsInDom(page);
    // The whole folder is counted for screen readers, a screenful (plus a margin) is rendered.
    expect(first.setSize).toBe(String(COUNT));
    expect(first.positions[0]).toBe(1);
    expect(first.positions.length).toBeLessThan(40);
    await expectAccessible(page, 'big folder list (fr)');

    // Scrolled to the end, again and again: the next pages load as the end nears.
    const oldest = page.getByRole('link', { name: new RegExp(subject(0)) });
    await waitUntil('the oldest message in view', async () => {
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      return (await oldest.count()) > 0;
    });
    const last = await rowsInDom(page);
    expect(last.positions).toContain(COUNT);
    expect(last.positions.length).toBeLessThan(40);
    // The newest rows, far above, are no longer in the page.
    expect(last.positions).not.toContain(1);
    expect(await page.getByRole('link', { name: new RegExp(subject(COUNT - 1)) }).count()).toBe(0);
    await expectAccessible(page, 'big folder list, scrolled to the end (fr)');

    // Opened from there; k goes to the next newer message, and j comes back to it even after
    // the page was scrolled to the top, far from them.
    await oldest.click();
    await page.getByRole('heading', { level: 2, name: subject(0) }).waitFor();
    await page.keyboard.press('k');
    await page.getByRole('heading', { level: 2, name: subject(1) }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await waitUntil('the top rows rendered', async () => (await rowsInDom(page)).positions.includes(1));
    await page.keyboard.press('j');
    await page.getByRole('heading', { level: 2, name: subject(0) }).waitFor();
    assertClean();
    await close();
  });

  it('reaches the last message by keyboard: arrows, Home and End move the focus from row to row', async () => {
    const { page, assertClean, close } = await web.newPage();
    await openFlatList(page);
    await page.getByRole('link', { name: new RegExp(subject(COUNT - 1)) }).focus();
    await page.keyboard.press('ArrowDown');
    expect(await focusedText(page)).toContain(subject(COUNT - 2));
    // End goes to the last row loaded, which asks for the next page: again until the oldest.
    await waitUntil('the oldest message focused', async () => {
      await page.keyboard.press('End');
      return (await focusedText(page)).includes(subject(0));
    });
    await page.keyboard.press('ArrowUp');
    expect(await focusedText(page)).toContain(subject(1));
    const atEnd = await rowsInDom(page);
    expect(atEnd.positions).toContain(COUNT - 1);
    expect(atEnd.positions).not.toContain(1);
    await page.keyboard.press('Home');
    expect(await focusedText(page)).toContain(subject(COUNT - 1));
    // The focus ring is seen: the focused row is in the viewport.
    expect(
      await page.evaluate(() => {
        const r = document.activeElement!.getBoundingClientRect();
        // Within a pixel: scrolled into view, a row may sit at a fraction of one.
        return r.top > -1 && r.bottom < window.innerHeight + 1;
      }),
    ).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 2, name: subject(COUNT - 1) }).waitFor();
    assertClean();
    await close();
  });

  it('drops the messages another client expunged, and shows what it marked unread', async () => {
    const { page, assertClean, close } = await web.newPage();
    // The push stream is open before the other client acts.
    const listening = page.waitForResponse((r) => r.url().includes('/events?'));
    await openFlatList(page);
    await listening;
    const newest = page.getByRole('link', { name: new RegExp(subject(COUNT - 1)) });
    const second = page.getByRole('link', { name: new RegExp(subject(COUNT - 2)) });
    await second.waitFor();
    // Another IMAP client (doveadm stands in for it): one message expunged, one marked unread.
    await doveadm(
      'flags',
      'remove',
      '-u',
      box.address,
      '\\Seen',
      'mailbox',
      'INBOX',
      'header',
      'Message-ID',
      `<big-${COUNT - 2}@`,
    );
    await doveadm(
      'expunge',
      '-u',
      box.address,
      'mailbox',
      'INBOX',
      'header',
      'Message-ID',
      `<big-${COUNT - 1}@`,
    );
    await newest.waitFor({ state: 'detached' });
    await second.getByText('Non lu', { exact: false }).waitFor({ state: 'attached' });
    expect((await rowsInDom(page)).setSize).toBe(String(COUNT - 1));
    expect(await page.locator('ul.mail-list-windowed > li[aria-posinset="1"]').textContent()).toContain(
      subject(COUNT - 2),
    );
    assertClean();
    await close();
  });
  // The folder actions share this stack: emptying the Trash, the owner's own folders.
  it('empties the Trash for good after saying how many messages go', async () => {
    for (const n of [1, 2, 3]) {
      await doveadm(
        'move',
        '-u',
        box.address,
        'Trash',
        'mailbox',
        'INBOX',
        'header',
        'Message-ID',
        `<big-${n}@`,
      );
    }
    const { page, assertClean, close } = await web.newPage();
    await openFlatList(page);
    await page
      .getByRole('navigation', { name: 'Dossiers' })
      .getByRole('link', { name: /Corbeille/ })
      .click();
    await page.getByRole('link', { name: new RegExp(subject(3)) }).waitFor();
    await page.getByRole('button', { name: 'Vider la corbeille' }).click();
    await page
      .getByText('Les 3 messages de la corbeille seront supprimés pour de bon', { exact: false })
      .waitFor();
    // "Cancel", the safe answer, has the focus.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Annuler');
    await expectAccessible(page, 'empty the Trash (fr)');
    await page.getByRole('button', { name: 'Supprimer 3 messages pour de bon' }).click();
    await page.getByText('Aucun message dans ce dossier.').waitFor();
    expect(await doveadm('mailbox', 'status', '-u', box.address, 'messages', 'Trash')).toContain(
      'messages=0',
    );
    assertClean();
    await close();
  });

  it('creates, renames and deletes a folder of her own from the settings', async () => {
    const { page, assertClean, close } = await web.newPage();
    await openFlatList(page);
    await page.goto(`${web.url}/mail/settings`);
    const section = page.getByRole('region', { name: 'Dossiers' });
    await section.getByLabel('Nouveau dossier').fill('Projets');
    await section.getByRole('button', { name: 'Créer le dossier' }).click();
    await section.getByText('Projets', { exact: true }).waitFor();
    await doveadm(
      'move',
      '-u',
      box.address,
      'Projets',
      'mailbox',
      'INBOX',
      'header',
      'Message-ID',
      `<big-4@`,
    );
    await page.reload();
    await section.getByText('(1 message)').waitFor();
    await section.getByRole('button', { name: 'Renommer Projets' }).click();
    await section.getByLabel('Nouveau nom de Projets').fill('Chantiers');
    await section.getByRole('button', { name: 'Renommer', exact: true }).click();
    await section.getByRole('button', { name: 'Supprimer Chantiers' }).click();
    await section.getByText('Le dossier Chantiers et son message seront supprimés pour de bon.').waitFor();
    await expectAccessible(page, 'delete a folder (fr)');
    await section.getByRole('button', { name: 'Supprimer Chantiers pour de bon' }).click();
    await section.getByText('Aucun dossier à vous', { exact: false }).waitFor();
    const list = await doveadm('mailbox', 'list', '-u', box.address);
    expect(list).not.toMatch(/Projets|Chantiers/);
    // The screen's quota and filters need Dovecot's doveadm API and Sieve service, not run here.
    assertClean(/\/(quota|sieve)$/);
    await close();
  });
});
