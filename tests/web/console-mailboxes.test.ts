import type { Page } from 'playwright-core';
import type { Actor } from '../../src/auth/actor';
import { loadAccountActor } from '../../src/auth/sessions';
import { freePorts } from '../support/mailstack';
import { makeAccount, makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';
import { headingIs, logIn, sidewaysOverflow } from './support/pages';

/**
 * A collective's admin creates a mailbox whose owner chooses the password herself: the admin gets
 * a one-time link, the owner opens it in her own browser, chooses her password, gets her
 * recovery code on a screen of its own, and lands in the webmail.
 */
describe('console: a mailbox whose owner chooses her password', () => {
  const web = useWebApp();
  let admin: { id: string; email: string };
  let adminActor: Actor;
  let domain: { id: string; name: string };
  let collective: { id: string; slug: string };
  beforeAll(async () => {
    collective = await makeCollective(web.ctx, { name: 'La Cantine' });
    admin = await makeAccount(web.ctx, { collectiveId: collective.id, role: 'admin' });
    adminActor = (await loadAccountActor(web.ctx, admin.id)) as Actor;
    domain = await makeDomain(web.ctx, { collectiveId: collective.id });
    // No Dovecot in this file: its doveadm API is a free port nobody listens on.
    const [nobody] = await freePorts(1);
    web.ctx.config.doveadm = { host: '127.0.0.1', port: nobody };
  });
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((close) => close().catch(() => undefined)));
  });

  /** The link the screen shows once, read as the admin would copy it. */
  const shownLink = async (page: Page) => {
    const value = page
      .locator('.copy-field')
      .filter({ hasText: /Lien à usage unique|One-time link/ })
      .locator('code');
    return (await value.textContent())?.trim() ?? '';
  };

  it('gives the admin a one-time link for the owner, shown once, and a new one that replaces it', async () => {
    const address = `cuisine@${domain.name}`;
    const adminPage = await web.newPage();
    opened.push(adminPage.close);
    const { page } = adminPage;
    await page.goto(`${web.url}/login`);
    await logIn(page, admin.email, TEST_PASSWORD);
    await headingIs(page, 'Console');
    await page.goto(`${web.url}/console/domains/${domain.name}/mailboxes/new`);
    await headingIs(page, `Nouvelle boîte aux lettres sur ${domain.name}`);
    await page.getByLabel('Début de l’adresse').fill('cuisine');
    await page.getByLabel('Nom affiché (facultatif)').fill('Cuisine');
    // The owner's link is the default; no password field is asked of the admin then.
    await expect(page.getByLabel('La personne elle-même', { exact: false }).isChecked()).resolves.toBe(true);
    expect(await page.getByLabel('Mot de passe de la boîte').count()).toBe(0);
    await expectAccessible(page, 'new mailbox, owner’s link (fr)');
    await page.getByRole('button', { name: 'Créer la boîte et obtenir le lien' }).click();

    await headingIs(page, `Lien pour la personne qui utilisera ${address}`);
    const first = await shownLink(page);
    expect(new URL(first).pathname).toBe('/mailbox-setup');
    await page.getByText('Ce lien ne sera plus jamais affiché', { exact: false }).waitFor();
    await expectAccessible(page, 'setup link shown once (fr)');
    await page.getByRole('button', { name: 'C’est fait : le lien est remis' }).click();
    await headingIs(page, address);
    await page.getByText('Mot de passe à choisir par la personne').waitFor();
    await page.getByText('son lien est valable jusqu’au', { exact: false }).waitFor();
    await expectAccessible(page, 'mailbox awaiting its owner (fr)');
    // Shown once: coming back finds nothing.
    await page.goBack();
    await page.getByText('Ce lien a déjà été affiché une fois', { exact: false }).waitFor();

    // The first link was lost: a new one replaces it.
    await page.goto(`${web.url}/console/mailboxes/${address}`);
    await page.getByRole('button', { name: 'Nouveau lien pour la personne' }).click();
    await page.getByRole('dialog').getByText('Le lien donné auparavant cessera de fonctionner.').waitFor();
    await expectAccessible(page, 'new link, confirmation (fr)');
    await page.getByRole('dialog').getByRole('button', { name: 'Faire un nouveau lien' }).click();
    await headingIs(page, `Lien pour la personne qui utilisera ${address}`);
    const link = await shownLink(page);
    expect(link).not.toBe(first);

    // The list says which mailboxes still wait for their owner.
    await page.goto(`${web.url}/console/domains/${domain.name}/mailboxes`);
    // Dovecot does not answer here: the list still shows, and says the usage is unknown.
    await page.getByText('Dovecot ne répond pas', { exact: false }).waitFor();
    await page
      .getByRole('row', { name: new RegExp(address) })
      .getByText('Mot de passe à choisir par la personne')
      .waitFor();
    await expectAccessible(page, 'mailboxes, one awaiting its owner (fr)');

    adminPage.assertClean();
  });

  it('lets the owner choose her password with the link, get her recovery code and open her webmail', async () => {
    // The admin made the mailbox and a first link, lost it and made another (as above, by the API).
    const address = `potager@${domain.name}`;
    const made = await web.client.request('POST', `/api/v1/domains/${domain.name}/mailboxes`, {
      as: adminActor,
      body: { localPart: 'potager' },
    });
    const first: string = made.body.setupLink.url;
    const link: string = (
      await web.client.request('POST', `/api/v1/mailboxes/${address}/setup-link`, { as: adminActor })
    ).body.url;

    // The owner, in her own browser, in English, on a phone.
    const ownerPage = await web.newPage({ language: 'en', viewport: { width: 320, height: 640 } });
    opened.push(ownerPage.close);
    const owner = ownerPage.page;
    await owner.goto(`${web.url}${new URL(first).pathname}${new URL(first).hash}`);
    await headingIs(owner, 'Choose your mailbox password');
    await owner.getByRole('alert').getByText('This link is not valid (any more)', { exact: false }).waitFor();
    await expectAccessible(owner, 'replaced link refused (en)');

    // Only the part after '#' differs from the page she is on: load it as a fresh tab would.
    await owner.goto(`${web.url}${new URL(link).pathname}${new URL(link).hash}`);
    await owner.reload();
    await headingIs(owner, 'Choose your mailbox password');
    await owner.getByText(`You are choosing the password of ${address}`, { exact: false }).waitFor();
    const password = owner.getByLabel('Your password', { exact: true });
    await password.fill('cuisine');
    await owner.getByLabel('Your password, once more').fill('cuisine');
    await owner.getByRole('button', { name: 'Choose this password' }).click();
    await owner.getByText('at least 12 characters', { exact: false }).waitFor();
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    const chosen = 'la soupe du mardi sent le cerfeuil';
    await password.fill(chosen);
    await owner
      .locator('#new-setup-strength')
      .getByText(/Strength: (good|excellent)/)
      .waitFor();
    await owner.getByLabel('Your password, once more').fill(chosen);
    await expectAccessible(owner, 'choosing the mailbox password (en)');
    expect(await sidewaysOverflow(owner)).toBe(0);
    await owner.getByRole('button', { name: 'Choose this password' }).click();

    await headingIs(owner, 'Your recovery code');
    const code = (await owner.getByTestId('recovery-code').textContent()) ?? '';
    expect(code).toMatch(/\w{4}(-\w{4}){7}/);
    await expectAccessible(owner, 'the owner’s recovery code (en)');
    expect(await sidewaysOverflow(owner)).toBe(0);
    // The key exists now, made when she chose her password.
    const keys = await web.ctx
      .db('mailbox_keys')
      .join('mailboxes', 'mailboxes.id', 'mailbox_keys.mailbox_id')
      .where('mailboxes.address', address);
    expect(keys).toHaveLength(1);
    await owner.getByLabel('I wrote this code down somewhere safe').check();
    await owner.getByRole('button', { name: 'Open my mailbox' }).click();
    await owner.waitForURL(/\/mail$/);
    await owner.getByRole('banner').getByText(address).waitFor();
    // Her password opens, in her browser, the key the server made when she chose it.
    await headingIs(owner, 'Open your mail');
    await owner.getByLabel('Mailbox password').fill(chosen);
    await owner.getByRole('button', { name: 'Open', exact: true }).click();
    await headingIs(owner, 'Mail');

    // Used once: the link is refused afterwards, saying what to do.
    const again = await web.newPage();
    opened.push(again.close);
    await again.page.goto(`${web.url}${new URL(link).pathname}${new URL(link).hash}`);
    await again.page.getByRole('alert').getByText('Ce lien a déjà servi', { exact: false }).waitFor();
    await expectAccessible(again.page, 'used link refused (fr)');

    // The console no longer says it waits.
    const after = await web.client.request('GET', `/api/v1/mailboxes/${address}`, { as: adminActor });
    expect(after.body.awaitingOwner).toBe(false);
    // The webmail has no mail server in this file: its mail calls fail, as the shell test says.
    ownerPage.assertClean(/\/api\/v1\/mail\//);
    again.assertClean();
  });

  it('offers a temporary password as the other path: the owner changes it at first login and gets her recovery code, the admin never', async () => {
    const address = `verger@${domain.name}`;
    const temporary = 'des poires pour toute la rue du jeudi';
    const { page, assertClean, close } = await web.newPage({ language: 'en' });
    opened.push(close);
    await page.goto(`${web.url}/login`);
    await logIn(page, admin.email, TEST_PASSWORD);
    await headingIs(page, 'Console');
    await page.goto(`${web.url}/console/domains/${domain.name}/mailboxes/new`);
    await headingIs(page, `New mailbox on ${domain.name}`);
    await page.getByLabel('The person herself', { exact: false }).waitFor();
    await expectAccessible(page, 'new mailbox, owner’s link (en)');
    await page.getByLabel('Start of the address').fill('verger');
    await page.getByLabel('You, now', { exact: false }).check();
    await page.getByText('you never see it', { exact: false }).waitFor();
    await page.getByLabel('Mailbox password').fill(temporary);
    await page.getByLabel('New password, once more').fill(temporary);
    await expectAccessible(page, 'new mailbox, admin’s temporary password (en)');
    await page.getByRole('button', { name: 'Create the mailbox' }).click();
    // No recovery code for the admin: the mailbox's screen says the password is temporary.
    await headingIs(page, address);
    await page.getByText('Temporary password').waitFor();
    await page.getByText('chooses her own at her next webmail login', { exact: false }).waitFor();
    await expectAccessible(page, 'mailbox with a temporary password (en)');
    expect(await page.getByTestId('recovery-code').count()).toBe(0);
    expect(await page.content()).not.toMatch(/\w{4}(-\w{4}){7}/);

    // The owner, in her own browser: her own password first, then her recovery code, once.
    const ownerPage = await web.newPage({ language: 'en' });
    opened.push(ownerPage.close);
    const owner = ownerPage.page;
    await owner.goto(`${web.url}/login`);
    await logIn(owner, address, temporary);
    await headingIs(owner, 'Choose your password');
    await owner.getByText('You logged in with a temporary password', { exact: false }).waitFor();
    const chosen = 'la compote de coings attend sur le rebord';
    await owner.getByLabel('One-time password').fill(temporary);
    await owner.getByLabel('New password', { exact: true }).fill(chosen);
    await owner.getByLabel('New password, once more').fill(chosen);
    await owner.getByRole('button', { name: 'Save the password' }).click();
    await headingIs(owner, 'Your recovery code');
    const code = (await owner.getByTestId('recovery-code').textContent()) ?? '';
    expect(code).toMatch(/\w{4}(-\w{4}){7}/);
    await expectAccessible(owner, 'the owner’s recovery code after her first login (en)');
    const row = await web.ctx.db('mailboxes').where({ address }).first();
    expect(row.must_change_password).toBe(false);
    assertClean();
    // The webmail has no mail server in this file: its mail calls fail, as the shell test says.
    ownerPage.assertClean(/\/api\/v1\/mail\//);
  });

  it('gives an admin a catch-all, a token shown once then revoked, and the log of it by actor and act', async () => {
    const { page, assertClean, close } = await web.newPage({ language: 'en' });
    opened.push(close);
    const box = await makeMailbox(web.ctx, { domainId: domain.id, localPart: 'accueil' });
    await page.goto(`${web.url}/login`);
    await logIn(page, admin.email, TEST_PASSWORD);
    await headingIs(page, 'Console');

    // The catch-all, with the spam it attracts said before it is made.
    await page.goto(`${web.url}/console/domains/${domain.name}/aliases`);
    await headingIs(page, `Aliases of ${domain.name}`);
    await page.getByLabel('Catch-all', { exact: false }).check();
    await page.getByText('it also draws spam sent to made-up', { exact: false }).waitFor();
    await page.getByLabel('Forward to').fill(box.address);
    await expectAccessible(page, 'aliases, catch-all (en)');
    await page.getByRole('button', { name: 'Create the alias' }).click();
    await page.getByRole('row', { name: new RegExp(`Any other @${domain.name} address`) }).waitFor();

    // A token: its secret once, which works until it is revoked.
    await page.goto(`${web.url}/console/c/${collective.slug}/tokens`);
    await headingIs(page, 'API tokens of La Cantine');
    await page.getByLabel('Token name').fill('sauvegarde');
    await page.getByRole('button', { name: 'Create the token' }).click();
    await page.getByRole('heading', { name: 'Token sauvegarde created' }).waitFor();
    const secret = ((await page.locator('.copy-field code').textContent()) ?? '').trim();
    await expectAccessible(page, 'token shown once (en)');
    const withToken = () =>
      web.client.request('GET', `/api/v1/collectives/${collective.slug}`, {
        headers: { authorization: `Bearer ${secret}` },
      });
    expect((await withToken()).status).toBe(200);
    await page.getByRole('button', { name: 'I have kept it safe' }).click();
    expect(await page.getByText(secret).count()).toBe(0);
    await page.getByRole('button', { name: 'Revoke sauvegarde' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke', exact: true }).click();
    await page
      .getByRole('row', { name: /sauvegarde/ })
      .getByText('Revoked')
      .waitFor();
    expect((await withToken()).status).toBe(401);

    // The log, by this admin and by kind of act.
    await page.goto(`${web.url}/console/c/${collective.slug}/audit`);
    await headingIs(page, 'Log of La Cantine');
    await page.getByLabel('Actor').fill(admin.email);
    await page.getByLabel('Kind of act').selectOption('token');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByRole('cell', { name: /Token revoked/ }).waitFor();
    await page.getByRole('cell', { name: /Token created/ }).waitFor();
    expect(await page.getByRole('cell', { name: /Alias created/ }).count()).toBe(0);
    await page.getByLabel('Kind of act').selectOption('alias');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByRole('cell', { name: /Alias created/ }).waitFor();
    expect(await page.getByRole('cell', { name: /Token created/ }).count()).toBe(0);
    // One act, by part of the actor's address.
    await page.getByLabel('Actor').fill(admin.email.split('@')[0].toUpperCase());
    await page.getByLabel('Kind of act').selectOption('token.revoke');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByRole('cell', { name: /Token revoked/ }).waitFor();
    await page.getByRole('cell', { name: /Token created/ }).waitFor({ state: 'detached' });
    expect(await page.getByRole('cell', { name: /Alias created/ }).count()).toBe(0);
    await expectAccessible(page, 'collective log, filtered (en)');
    assertClean();
  });
});
