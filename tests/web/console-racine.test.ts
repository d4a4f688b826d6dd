import type { Page } from 'playwright-core';
import { startDnsEnv } from '../dns/dns-env';
import { verifyPassword } from '../../src/auth/password-hash';
import {
  makeAccount,
  makeDkimKeys,
  makeDomain,
  makeMailbox,
  makeRacine,
  makeTenant,
  TEST_PASSWORD,
} from '../support/factories';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';
import { headingIs, logIn, screenshot, sidewaysOverflow } from './support/pages';

/**
 * A racine at 2 a.m., in Chromium against the real server: adds a relay, drains it, rotates a
 * domain's DKIM key — each confirmed and written to the log. Then every console screen, in
 * French and in English, is checked by axe; in English at 320 px wide (a phone, or 400 % zoom).
 */
describe('console: a racine runs the platform', () => {
  const web = useWebApp();
  let racine: Awaited<ReturnType<typeof makeRacine>>;
  let tenant: Awaited<ReturnType<typeof makeTenant>>;

  beforeAll(async () => {
    const env = await startDnsEnv(web.ctx);
    web.beforeStop(() => env.stop());
    racine = await makeRacine(web.ctx);
    tenant = await makeTenant(web.ctx);
    env.delegate(tenant.domain.name);
  });

  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((close) => close().catch(() => undefined)));
  });

  async function racinePage(options: Parameters<typeof web.newPage>[0] = {}) {
    const watched = await web.newPage(options);
    opened.push(watched.close);
    await watched.page.goto(`${web.url}/login`);
    await logIn(watched.page, racine.account.email, TEST_PASSWORD);
    await watched.page.waitForURL(/\/console$/);
    return watched;
  }

  /**
   * Goes to a screen the way a click on a link does (no new document), so axe, injected once per
   * document, is not parsed again for every screen.
   */
  async function visit(page: Page, path: string) {
    const before = await page.evaluate(() => ({
      path: location.pathname,
      title: document.querySelector('h1')?.textContent ?? '',
    }));
    if (before.path === path) return;
    await page.evaluate((p) => {
      history.pushState(null, '', p);
      dispatchEvent(new PopStateEvent('popstate'));
    }, path);
    // The next screen is there when its heading replaced the previous one.
    await page.waitForFunction((old) => {
      const h1 = document.querySelector('h1');
      return h1 !== null && h1.textContent !== old;
    }, before.title);
    await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached' });
  }

  /** Opens the confirmation dialog with `button`, checks it, and confirms with `confirm`. */
  async function confirmIn(page: Page, button: string, confirm: string, label: string) {
    await page.getByRole('button', { name: button, exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await expectAccessible(page, label);
    await dialog.getByRole('button', { name: confirm, exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  it('adds a relay, drains it and rotates a DKIM key, each confirmed and audited', async () => {
    const { page, assertClean } = await racinePage();
    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Relais' })
      .click();
    await headingIs(page, 'Relais d’envoi');
    await page.getByLabel('Nom', { exact: true }).fill('relais-b');
    await page.getByRole('textbox', { name: 'Serveur' }).fill('127.0.0.1');
    await page.getByRole('textbox', { name: 'Port' }).fill('2599');
    await page.getByLabel('Chiffrement').selectOption('none');
    await page.getByLabel('Identifiant').fill('giroflee');
    await page.getByLabel('Mot de passe', { exact: true }).fill('un secret de relais');
    await page.getByRole('button', { name: 'Ajouter le relais' }).click();
    await headingIs(page, 'Relais relais-b');
    await page.getByText('Pas encore testé').waitFor();
    await page.getByText('(mot de passe enregistré)').waitFor();
    expect(await page.content()).not.toContain('un secret de relais');

    // Draining says what happens to queued mail before it is done.
    await page.getByRole('button', { name: 'Vidanger', exact: true }).click();
    await page
      .getByRole('dialog')
      .getByText('Plus aucun nouveau message ne lui sera confié', { exact: false })
      .waitFor();
    await expectAccessible(page, 'drain confirmation (fr)');
    await page.getByRole('dialog').getByRole('button', { name: 'Annuler' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect((await web.ctx.db('relays').where({ name: 'relais-b' }).first()).state).toBe('active');
    await confirmIn(page, 'Vidanger', 'Vidanger', 'drain confirmation again (fr)');
    await page.getByRole('main').getByText('relais-b est en vidange.').waitFor();
    await page.locator('.facts').getByText('En vidange').waitFor();
    await screenshot(page, 'console-relay');

    // Removing asks for the relay's name, typed.
    await page.getByRole('button', { name: 'Retirer le relais' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Pour confirmer, tapez « relais-b »').fill('relais');
    await dialog.getByRole('button', { name: 'Retirer définitivement' }).click();
    await dialog.getByText('Ce n’est pas exactement « relais-b »', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    expect(await web.ctx.db('relays').where({ name: 'relais-b' }).first()).toBeTruthy();

    // DKIM: rotate now, from every domain's list.
    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Domaines' })
      .click();
    await headingIs(page, 'Tous les domaines');
    // Each domain's DKIM state at a glance: the selector signing, the next scheduled rotation.
    await makeDkimKeys(web.ctx, tenant.domain.id);
    await page.reload();
    await headingIs(page, 'Tous les domaines');
    const domainRow = page.getByRole('row', { name: new RegExp(tenant.domain.name.replace(/\./g, '\\.')) });
    await domainRow.getByText('Prochain changement le', { exact: false }).waitFor();
    await domainRow.getByText('Signe :', { exact: false }).waitFor();
    await screenshot(page, 'console-every-domain');
    await page.getByRole('link', { name: tenant.domain.name }).click();
    await headingIs(page, tenant.domain.name);
    await page.getByRole('cell', { name: 'Signe le courrier' }).waitFor();
    await confirmIn(
      page,
      'Changer de clé maintenant',
      'Commencer le changement',
      'DKIM rotation confirmation (fr)',
    );
    await page.getByRole('main').getByText('Changement de clé commencé.').waitFor();
    await page.getByRole('cell', { name: 'En attente de publication' }).waitFor();

    // All three acts are in the log, by this racine.
    await page.goto(`${web.url}/console/racine/audit`);
    await headingIs(page, 'Journal de la plateforme');
    await page.getByLabel('Type d’action').selectOption('relay');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.getByRole('cell', { name: /Relais ajouté/ }).waitFor();
    await page.getByRole('cell', { name: /relay\.drain/ }).waitFor();
    expect(await page.getByRole('cell', { name: /dkim\.rotate/ }).count()).toBe(0);
    await page.getByLabel('Type d’action').selectOption('dkim');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.getByRole('cell', { name: /Clé DKIM changée/ }).waitFor();
    await expectAccessible(page, 'platform log, filtered (fr)');
    const actions = (
      await web.ctx.db('audit_log').where({ actor_id: racine.account.id }).select('action')
    ).map((r: { action: string }) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['relay.create', 'relay.drain', 'dkim.rotate']));
    assertClean();
  });

  it('suspends a collective after saying what it changes, keeps its admin out, and lifts it, each with a reason', async () => {
    const late = await makeTenant(web.ctx);
    const { page, assertClean } = await racinePage();
    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Collectifs' })
      .click();
    await headingIs(page, 'Collectifs');
    const row = page.getByRole('row', { name: new RegExp(late.collective.name) });
    await row.getByRole('cell', { name: 'Actif', exact: true }).waitFor();

    await row.getByRole('button', { name: `Suspendre ${late.collective.name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Suspendre le collectif ${late.collective.name} ?` });
    await dialog.getByText('Rien n’est perdu', { exact: false }).waitFor();
    await dialog.getByText('Ses boîtes ne peuvent plus se connecter ni envoyer', { exact: false }).waitFor();
    await dialog.getByText('Les sessions déjà ouvertes sont fermées aussitôt', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Suspendre le collectif' }).click();
    await dialog.getByText('Donnez la raison', { exact: false }).waitFor();
    await expectAccessible(page, 'suspension confirmation with its error (fr)');
    expect(
      (await web.ctx.db('collectives').where({ id: late.collective.id }).first()).suspended_at,
    ).toBeNull();
    // Dovecot (a next hop here) is asked to end the sessions its mailboxes have open.
    const kicked: string[][] = [];
    web.ctx.sessionKicker = { kick: async (addresses) => void kicked.push(addresses) };
    await dialog.getByLabel('Raison').fill('Cotisation 2026 impayée');
    await dialog.getByRole('button', { name: 'Suspendre le collectif' }).click();
    await dialog.waitFor({ state: 'detached' });
    web.ctx.sessionKicker = undefined;
    expect(kicked).toEqual([[late.mailbox.address]]);
    await page.getByRole('main').getByText(`Collectif ${late.collective.name} suspendu.`).waitFor();
    await row.getByText('Suspendu depuis le', { exact: false }).waitFor();
    await row.getByText('Raison : Cotisation 2026 impayée').waitFor();
    expect(
      (await web.ctx.db('collectives').where({ id: late.collective.id }).first()).suspended_at,
    ).not.toBeNull();

    // Its admin is told why at login, in her language.
    const admin = await web.newPage();
    opened.push(admin.close);
    await admin.page.goto(`${web.url}/login`);
    await logIn(admin.page, late.admin.email, TEST_PASSWORD);
    await admin.page.getByText('Votre collectif est suspendu', { exact: false }).waitFor();
    expect(admin.page.url()).toMatch(/\/login$/);

    await row.getByRole('button', { name: `Lever la suspension de ${late.collective.name}` }).click();
    const lift = page.getByRole('dialog', { name: `Lever la suspension de ${late.collective.name} ?` });
    await lift.getByText('le courrier reçu pendant la suspension les attend', { exact: false }).waitFor();
    await lift.getByLabel('Raison').fill('Cotisation reçue');
    await lift.getByRole('button', { name: 'Lever la suspension' }).click();
    await lift.waitFor({ state: 'detached' });
    await row.getByRole('cell', { name: 'Actif', exact: true }).waitFor();
    await logIn(admin.page, late.admin.email, TEST_PASSWORD);
    await admin.page.waitForURL(/\/console/);

    const audit = await web.ctx
      .db('audit_log')
      .where({ actor_id: racine.account.id, target_id: late.collective.id })
      .orderBy('at')
      .select('action', 'details');
    expect(
      audit.map((a: { action: string; details: { reason: string } }) => [a.action, a.details.reason]),
    ).toEqual([
      ['collective.suspend', 'Cotisation 2026 impayée'],
      ['collective.resume', 'Cotisation reçue'],
    ]);
    assertClean();
    admin.assertClean();
  });

  it('finds an account and gives it a one-time password, then turns its TOTP off, each confirmed and audited', async () => {
    const lost = await makeAccount(web.ctx, { email: 'perdu@asso.example' });
    await makeAccount(web.ctx, { email: 'autre@asso.example' });
    await web.ctx.db('accounts').where({ id: lost.id }).update({ totp_enabled: true, totp_secret: 'x' });
    const { page, assertClean } = await racinePage();
    await page
      .getByRole('navigation', { name: 'Navigation principale' })
      .getByRole('link', { name: 'Comptes' })
      .click();
    await headingIs(page, 'Comptes de la console');
    await page.getByRole('searchbox', { name: 'Chercher un compte' }).fill('perdu@');
    const row = page.getByRole('row', { name: /perdu@asso\.example/ });
    await page.getByRole('row', { name: /autre@asso\.example/ }).waitFor({ state: 'detached' });
    await row.getByRole('cell', { name: 'Active', exact: true }).waitFor();

    // The new password: what happens is said first; the password is shown once, then gone.
    await row.getByRole('button', { name: 'Nouveau mot de passe (perdu@asso.example)' }).click();
    const dialog = page.getByRole('dialog', {
      name: 'Donner un nouveau mot de passe à perdu@asso.example ?',
    });
    await dialog
      .getByText('Toutes les sessions ouvertes de ce compte sont fermées', { exact: false })
      .waitFor();
    await expectAccessible(page, 'password reset confirmation (fr)');
    await dialog.getByRole('button', { name: 'Remplacer le mot de passe' }).click();
    await headingIs(page, 'Comptes de la console');
    const shown = page.getByRole('region', { name: 'Mot de passe à usage unique de perdu@asso.example' });
    const oneTimePassword = (await shown.locator('code').textContent()) ?? '';
    const after = await web.ctx.db('accounts').where({ id: lost.id }).first();
    expect(await verifyPassword(after.password_hash, oneTimePassword)).toBe(true);
    expect(after.must_change_password).toBe(true);
    await row.getByText('à usage unique, à changer').waitFor();
    await expectAccessible(page, 'one-time password shown once (fr)');
    await screenshot(page, 'console-accounts');
    await shown.getByRole('button', { name: 'Je l’ai mis en lieu sûr' }).click();
    await shown.waitFor({ state: 'detached' });

    // Two-factor authentication, off on the racine's word.
    await row
      .getByRole('button', { name: 'Désactiver la double authentification (perdu@asso.example)' })
      .click();
    await page
      .getByRole('dialog')
      .getByText('vérifié que la demande vient bien de cette personne', { exact: false })
      .waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Désactiver', exact: true }).click();
    await page
      .getByRole('main')
      .getByText('Double authentification de perdu@asso.example désactivée.')
      .waitFor();
    await row.getByRole('cell', { name: 'Inactive', exact: true }).waitFor();
    expect(await row.getByRole('button', { name: /Désactiver la double/ }).count()).toBe(0);
    expect(await web.ctx.db('accounts').where({ id: lost.id }).first()).toMatchObject({
      totp_enabled: false,
      totp_secret: null,
    });
    const actions = await web.ctx
      .db('audit_log')
      .where({ actor_id: racine.account.id, target_id: lost.id })
      .pluck('action');
    expect(actions.sort()).toEqual(['account.password.reset', 'account.totp.reset']);
    assertClean();
  });

  // One test per language: each walks every screen, and the machine may be shared.
  for (const [language, viewport] of [
    ['fr', { width: 1280, height: 800 }],
    ['en', { width: 320, height: 640 }],
  ] as const) {
    it(`passes axe on every screen in ${language === 'fr' ? 'French' : 'English, at 320 px wide'}`, async () => {
      const mailbox = await makeMailbox(web.ctx, {
        domainId: tenant.domain.id,
        localPart: `compta-${language}`,
      });
      const pending = await makeDomain(web.ctx, { collectiveId: tenant.collective.id, status: 'pending' });
      const slug = tenant.collective.slug;
      const screens: Array<[string, string]> = [
        ['/console', 'home'],
        ['/console/account', 'account'],
        ['/console/welcome', 'welcome'],
        [`/console/c/${slug}`, 'collective'],
        [`/console/c/${slug}/members`, 'members'],
        [`/console/c/${slug}/tokens`, 'tokens'],
        [`/console/c/${slug}/audit`, 'collective log'],
        [`/console/domains/${pending.name}`, 'pending domain'],
        [`/console/domains/${tenant.domain.name}`, 'active domain'],
        [`/console/domains/${tenant.domain.name}/mailboxes`, 'mailboxes'],
        [`/console/domains/${tenant.domain.name}/mailboxes/new`, 'new mailbox'],
        [`/console/domains/${tenant.domain.name}/aliases`, 'aliases'],
        [`/console/mailboxes/${mailbox.address}`, 'mailbox'],
        [`/console/mailboxes/${mailbox.address}/recovery`, 'recovery code (already shown)'],
        [`/console/mailboxes/${mailbox.address}/setup-link`, 'owner’s link (already shown)'],
        ['/console/racine/collectives', 'collectives'],
        ['/console/racine/accounts', 'accounts'],
        ['/console/racine/domains', 'every domain'],
        ['/console/racine/relays', 'relays'],
        ['/console/racine/audit', 'platform log'],
        ['/console/racine/platform', 'platform'],
      ];
      const { page, assertClean } = await racinePage({ language, viewport });
      // The README's pictures of the screens that have no test of their own taking one.
      const shots: Record<string, string> = {
        mailboxes: 'console-mailboxes',
        relays: 'console-relays',
        platform: 'console-platform',
      };
      for (const [path, label] of screens) {
        await visit(page, path);
        await expectAccessible(page, `${label} (${language}, ${viewport.width} px)`);
        if (language === 'fr' && shots[label]) await screenshot(page, shots[label]);
        if (viewport.width === 320)
          expect({ path, overflow: await sidewaysOverflow(page) }).toEqual({ path, overflow: 0 });
      }
      // A dialog, and the mailbox screen with one open.
      await visit(page, `/console/mailboxes/${mailbox.address}`);
      await page
        .getByRole('button', { name: language === 'fr' ? 'Supprimer la boîte' : 'Delete the mailbox' })
        .click();
      await page.getByRole('dialog').waitFor();
      await expectAccessible(page, `mailbox delete dialog (${language})`);
      if (language === 'fr') await screenshot(page, 'console-mailbox-delete');
      assertClean();

      // The one public screen of the console: joining a collective with an invitation's code.
      const visitor = await web.newPage({ language, viewport });
      opened.push(visitor.close);
      await visitor.page.goto(`${web.url}/join`);
      await headingIs(visitor.page, language === 'fr' ? 'Rejoindre un collectif' : 'Join a collective');
      await expectAccessible(visitor.page, `join (${language}, ${viewport.width} px)`);
      expect(await sidewaysOverflow(visitor.page)).toBe(0);
      visitor.assertClean();
    });
  }

  it('can be used with the keyboard alone: dialogs keep and give back the focus, focus stays visible', async () => {
    const mailbox = await makeMailbox(web.ctx, { domainId: tenant.domain.id, localPart: 'clavier' });
    const { page, assertClean } = await racinePage();
    await visit(page, `/console/mailboxes/${mailbox.address}`);
    const focusedText = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    const tabTo = async (text: string) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if ((await focusedText()) === text) return;
      }
      throw new Error(`Tab never reached ${text}`);
    };
    await tabTo('Suspendre');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle)).toBe(
      'solid',
    );
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    // "Cancel" first: Enter on a dialog that just opened does nothing harmful.
    expect(await focusedText()).toBe('Annuler');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement?.textContent === 'Suspendre');

    await tabTo('Supprimer la boîte');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.tagName === 'INPUT');
    await page.keyboard.type(mailbox.address);
    await page.keyboard.press('Enter');
    await headingIs(page, `Boîtes aux lettres de ${tenant.domain.name}`);
    await page.locator('#announcements', { hasText: `${mailbox.address} est supprimée.` }).waitFor();
    expect(await web.ctx.db('mailboxes').where({ id: mailbox.id }).first()).toBeUndefined();

    // The accounts screen's dialogs: Enter opens, "Cancel" comes first, Escape gives the focus
    // back; confirmed, the one-time password's heading takes the focus.
    const person = await makeAccount(web.ctx, { email: 'clavier-compte@asso.example' });
    await visit(page, '/console/racine/accounts');
    await page.getByRole('searchbox', { name: 'Chercher un compte' }).fill('clavier-compte');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    const reset = `Nouveau mot de passe (${person.email})`;
    await tabTo(reset);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    expect(await focusedText()).toBe('Annuler');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.waitForFunction((text) => document.activeElement?.textContent === text, reset);
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await tabTo('Remplacer le mot de passe');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (email) => document.activeElement?.textContent === `Mot de passe à usage unique de ${email}`,
      person.email,
    );
    assertClean();
  });
});
