import { authenticator } from 'otplib';
import type { Page } from 'playwright-core';
import { wrapTotpSecret } from '../../src/auth/totp';
import { makeAccount, makeRacine, makeTenant, TEST_PASSWORD } from '../support/factories';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';

/** The app shell in Chromium: one login page, the console and webmail landings, the frame. */
describe('web app shell', () => {
  const web = useWebApp();
  let tenant: Awaited<ReturnType<typeof makeTenant>>;
  let racine: Awaited<ReturnType<typeof makeRacine>>;

  beforeAll(async () => {
    tenant = await makeTenant(web.ctx);
    racine = await makeRacine(web.ctx);
  });

  async function logIn(page: Page, login: string, password = TEST_PASSWORD, submit = 'Se connecter') {
    await page.getByRole('textbox', { name: /Adresse e-mail|E-mail address/ }).fill(login);
    await page.getByLabel(/^(Mot de passe|Password)$/).fill(password);
    await page.getByRole('button', { name: submit }).click();
  }

  const heading = (page: Page) => page.getByRole('heading', { level: 1 });

  /** Waits for the screen whose h1 says `text` (screens load and re-render asynchronously). */
  const headingIs = (page: Page, text: string) =>
    page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor();

  /** The focused element's id, else its text. */
  const focused = (page: Page) =>
    page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);

  /** Waits until the focus lands on the element with that id or text (focus moves after a render). */
  const focusReaches = (page: Page, target: string) =>
    page.waitForFunction(
      (t) => document.activeElement?.id === t || document.activeElement?.textContent === t,
      target,
    );

  it('logs a console account in, in French by default, and remembers the switch to English', async () => {
    const { page, assertClean, close } = await web.newPage();
    await page.goto(`${web.url}/`);
    await page.waitForURL(/\/login$/);
    await headingIs(page, 'Connexion');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    await expectAccessible(page, 'login (fr)');

    await logIn(page, tenant.admin.email);
    await page.waitForURL(/\/console$/);
    await headingIs(page, 'Console');
    await page.waitForFunction(() => document.title === 'Console · giroflee');
    for (const role of ['banner', 'navigation', 'main'] as const) {
      expect(await page.getByRole(role).count()).toBe(1);
    }
    await page.getByText(`${tenant.collective.name} (administration)`).waitFor();
    expect(await page.getByRole('link', { name: 'Accueil' }).getAttribute('aria-current')).toBe('page');
    await expectAccessible(page, 'console landing (fr)');

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('link', { name: 'Home' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.locator('#announcements', { hasText: 'Language: English.' }).waitFor();
    await expectAccessible(page, 'console landing (en)');

    await page.reload();
    await page.getByText(`${tenant.collective.name} (admin)`).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    await page.getByRole('main').getByText('You are logged out.', { exact: false }).waitFor();
    await page.locator('#announcements', { hasText: 'You are logged out.' }).waitFor();
    expect((await page.request.get(`${web.url}/api/v1/me`)).status()).toBe(401);
    assertClean();
    await close();
  });

  it('logs a mailbox in to the webmail, and a racine to the console', async () => {
    const { page, assertClean, close } = await web.newPage({ language: 'en' });
    await page.goto(`${web.url}/mail`);
    await page.waitForURL(/\/login$/);
    await logIn(page, tenant.mailbox.address, TEST_PASSWORD, 'Log in');
    // Taken back where it was going. No mail server runs in this file: the webmail says so.
    await page.waitForURL(/\/mail$/);
    await headingIs(page, 'Mail');
    await page.getByRole('banner').getByText(tenant.mailbox.address).waitFor();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The service is temporarily unavailable' })
      .first()
      .waitFor();
    await expectAccessible(page, 'webmail landing (en)');
    await page.getByRole('button', { name: 'Français' }).click();
    await headingIs(page, 'Courrier');
    await expectAccessible(page, 'webmail landing (fr)');

    // The console is not a mailbox's area.
    await page.goto(`${web.url}/console`);
    await headingIs(page, 'Page introuvable');
    await expectAccessible(page, 'not found (fr)');
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/login$/);

    await logIn(page, racine.account.email);
    await page.waitForURL(/\/console$/);
    await page.getByText('Vous êtes racine', { exact: false }).waitFor();
    assertClean(/\/api\/v1\/mail\//);
    await close();
  });

  it('shows what is wrong in the person’s language, next to the field or for the form', async () => {
    const { page, assertClean, close } = await web.newPage();
    await page.goto(`${web.url}/login`);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const login = page.getByRole('textbox', { name: 'Adresse e-mail' });
    expect(await login.getAttribute('aria-invalid')).toBe('true');
    await page.getByText('Saisissez votre adresse e-mail.').waitFor();
    await focusReaches(page, 'login');
    await expectAccessible(page, 'login with field errors (fr)');

    await logIn(page, tenant.admin.email, 'not the password at all');
    await page.getByRole('alert').filter({ hasText: 'Adresse ou mot de passe incorrect.' }).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong address or password.' }).waitFor();
    await expectAccessible(page, 'login with an error (en)');
    assertClean();
    await close();
  });

  it('asks for the authenticator code when the account has two-factor authentication', async () => {
    const account = await makeAccount(web.ctx, { collectiveId: tenant.collective.id });
    const secret = authenticator.generateSecret(20);
    await web.ctx
      .db('accounts')
      .where({ id: account.id })
      .update({ totp_enabled: true, totp_secret: wrapTotpSecret(web.ctx.keyring, account.id, secret) });
    const code = (offsetSteps: number) =>
      authenticator.clone({ epoch: web.ctx.now().getTime() + offsetSteps * 30_000 }).generate(secret);

    const { page, assertClean, close } = await web.newPage();
    await page.goto(`${web.url}/login`);
    await logIn(page, account.email);
    const totp = page.getByRole('textbox', { name: 'Code d’authentification' });
    await totp.waitFor();
    await focusReaches(page, 'totp');
    await expectAccessible(page, 'login, code step (fr)');

    await totp.fill(code(10));
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').filter({ hasText: 'Code d’authentification incorrect' }).waitFor();
    await totp.fill(code(0));
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(/\/console$/);
    assertClean();
    await close();
  });

  it('sends a one-time password account to choose its own, with the policy’s refusals on the field', async () => {
    const account = await makeAccount(web.ctx, { collectiveId: tenant.collective.id, role: 'member' });
    await web.ctx.db('accounts').where({ id: account.id }).update({ must_change_password: true });

    const { page, assertClean, close } = await web.newPage();
    await page.goto(`${web.url}/login`);
    await logIn(page, account.email);
    await page.waitForURL(/\/password$/);
    await headingIs(page, 'Choisissez votre mot de passe');
    await expectAccessible(page, 'forced password change (fr)');
    // Nothing else is reachable before.
    await page.goto(`${web.url}/console`);
    await page.waitForURL(/\/password$/);

    const current = page.getByLabel('Mot de passe à usage unique');
    const next = page.getByLabel('Nouveau mot de passe', { exact: true });
    const again = page.getByLabel('Nouveau mot de passe, une seconde fois');
    await expect(current.getAttribute('autocomplete')).resolves.toBe('current-password');
    await expect(next.getAttribute('autocomplete')).resolves.toBe('new-password');
    await current.fill(TEST_PASSWORD);
    await next.fill('court');
    await again.fill('court');
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await page.getByText('au moins 12 caractères', { exact: false }).waitFor();
    expect(await next.getAttribute('aria-invalid')).toBe('true');
    await focusReaches(page, 'new-password');

    await page.getByRole('button', { name: 'English' }).click();
    const nextEn = page.getByLabel('New password', { exact: true });
    const againEn = page.getByLabel('New password, once more');
    await nextEn.fill('password1234');
    await againEn.fill('password1234');
    await page.getByRole('button', { name: 'Save the password' }).click();
    await page.getByText('too easy to guess', { exact: false }).waitFor();
    await expectAccessible(page, 'forced password change with an error (en)');

    await nextEn.fill('a walk along the quiet canal');
    await againEn.fill('a walk along the quiet canal');
    await page.getByRole('button', { name: 'Save the password' }).click();
    await page.waitForURL(/\/console$/);
    const me = await page.request.get(`${web.url}/api/v1/me`);
    expect((await me.json()).mustChangePassword).toBe(false);
    assertClean();
    await close();
  });

  it('can be used with the keyboard alone: skip link, login, logout', async () => {
    const { page, assertClean, close } = await web.newPage();
    await page.goto(`${web.url}/login`);
    await heading(page).waitFor();
    const tabTo = async (target: string) => {
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press('Tab');
        if ((await focused(page)) === target) return;
      }
      throw new Error(`Tab never reached ${target}`);
    };

    await page.keyboard.press('Tab');
    await expect(focused(page)).resolves.toBe('Aller au contenu');
    await tabTo('login');
    await page.keyboard.type(tenant.admin.email);
    await page.keyboard.press('Tab');
    await expect(focused(page)).resolves.toBe('password');
    await page.keyboard.type(TEST_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console$/);
    // The new screen takes the focus to its heading.
    await focusReaches(page, 'Console');

    await page.reload();
    await heading(page).waitFor();
    await page.keyboard.press('Tab');
    await expect(focused(page)).resolves.toBe('Aller au contenu');
    await page.keyboard.press('Enter');
    await focusReaches(page, 'main');
    // Back from <main> to the header's last control, with a visible focus ring.
    await page.keyboard.press('Shift+Tab');
    await expect(focused(page)).resolves.toBe('Se déconnecter');
    await expect(
      page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle),
    ).resolves.toBe('solid');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/login$/);
    assertClean();
    await close();
  });

  it('fits a 320 px wide screen and follows the system’s dark mode', async () => {
    const { page, assertClean, close } = await web.newPage({
      colorScheme: 'dark',
      viewport: { width: 320, height: 640 },
    });
    const overflow = () =>
      page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.goto(`${web.url}/login`);
    await heading(page).waitFor();
    expect(await overflow()).toBe(0);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(22, 18, 16)');
    await expectAccessible(page, 'login, dark, 320 px (fr)');

    await logIn(page, tenant.admin.email);
    await page.waitForURL(/\/console$/);
    expect(await overflow()).toBe(0);
    await expectAccessible(page, 'console landing, dark, 320 px (fr)');
    assertClean();
    await close();
  });

  it('has an accessibility check that does fail on a serious violation', async () => {
    const { page, close } = await web.newPage();
    await page.setContent('<html lang="fr"><body><main><input type="text"></main></body></html>');
    await expect(expectAccessible(page, 'unlabelled input')).rejects.toThrow(/label \(critical\)/);
    await close();
  });
});
