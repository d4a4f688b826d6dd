import { authenticator } from 'otplib';
import type { Page } from 'playwright-core';
import { rr } from '../dns/fixture-dns';
import { startDnsEnv } from '../dns/dns-env';
import {
  makeAccount,
  makeCollective,
  makeDomain,
  makeMailbox,
  makeRacine,
  TEST_PASSWORD,
} from '../support/factories';
import type { Actor } from '../../src/auth/actor';
import type { Notifier } from '../../src/context';
import { expectAccessible } from './support/axe';
import { useWebApp } from './support/browser';
import { headingIs, logIn, screenshot, sidewaysOverflow, until } from './support/pages';
import { readQrCode } from './support/qr';

type Mail = Parameters<Notifier['send']>[0];

/**
 * The treasurer's Sunday afternoon, in Chromium against the real server and a DNS world on
 * loopback: the invitation e-mail, her own password, two-factor authentication, her domain linked
 * and proven, the checklist going green row by row as her zone is completed, a mailbox and an
 * alias. A plain member of the same collective sees none of the admin screens.
 */
describe('console: a treasurer links her domain', () => {
  const web = useWebApp();
  let env: Awaited<ReturnType<typeof startDnsEnv>>;
  let collective: { id: string; slug: string; name: string };
  let racine: Actor;
  const DOMAIN = 'les-amis-du-jardin.example';

  const mails: Mail[] = [];
  beforeAll(async () => {
    web.ctx.notifier = { send: async (m) => void mails.push(m) };
    env = await startDnsEnv(web.ctx);
    web.beforeStop(() => env.stop());
    collective = await makeCollective(web.ctx, { name: 'Les Amis du Jardin' });
    racine = (await makeRacine(web.ctx)).actor;
  });
  // Pages of a failed test are closed too, so their automatic re-checks stop before the server.
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((close) => close().catch(() => undefined)));
  });

  const status = (page: Page, check: string) =>
    page.locator(`li.check[data-check="${check}"] .check-head .status`);

  /** Waits until a checklist row says `word` (its status in words). */
  const rowSays = (page: Page, check: string, word: string) =>
    status(page, check).filter({ hasText: word }).waitFor();

  it('takes her from the invitation e-mail to a proven domain with a mailbox and an alias', async () => {
    // A racine invites her; she gets the e-mail, whose link leads to the console's join screen.
    const invited = await web.client.request('POST', `/api/v1/collectives/${collective.slug}/invitations`, {
      as: racine,
      body: { email: 'tresoriere@amis-du-jardin.example', role: 'admin' },
    });
    expect(invited.status).toBe(201);
    const mailed = () => mails.find((m) => m.to.includes('tresoriere@amis-du-jardin.example'));
    await until(() => mailed() !== undefined, 'the invitation was mailed');
    const link = new URL(/(https?:\/\/\S+\/join#\S+)/.exec(mailed()?.text ?? '')?.[1] ?? 'about:blank');
    expect(link.pathname).toBe('/join');

    const { page, context, assertClean, close } = await web.newPage();
    opened.push(close);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.url });
    await page.goto(`${web.url}/join${link.hash}`);
    await headingIs(page, 'Rejoindre un collectif');
    // The code came with the link, after '#': no server ever saw it in a URL.
    await expect(page.getByLabel('Code d’invitation').inputValue()).resolves.toBe(link.hash.slice(1));

    // Her own password, with the strength meter saying how strong it is in words.
    const next = page.getByLabel('Votre mot de passe', { exact: true });
    await next.fill('jardin');
    await page.getByText('Solidité : très faible').waitFor();
    await page.getByLabel('Votre mot de passe, une seconde fois').fill('jardin');
    await page.getByRole('button', { name: 'Créer mon compte et rejoindre' }).click();
    await page.getByText('au moins 12 caractères', { exact: false }).waitFor();
    expect(await next.getAttribute('aria-invalid')).toBe('true');
    const chosen = 'les radis poussent sous la pluie de mars';
    await next.fill(chosen);
    await page
      .locator('#new-join-strength')
      .getByText(/Solidité : (bonne|excellente)/)
      .waitFor();
    await page.getByText('Respecté : 12 caractères ou plus').waitFor();
    await page.getByText('Respecté : Difficile à deviner').waitFor();
    await expectAccessible(page, 'joining with an invitation, with the meter (fr)');
    await page.getByLabel('Votre mot de passe, une seconde fois').fill(chosen);
    await page.getByRole('button', { name: 'Créer mon compte et rejoindre' }).click();

    // The optional second factor, with the QR code drawn in the page.
    await page.waitForURL(/\/console\/welcome$/);
    await headingIs(page, 'Bienvenue');
    await expectAccessible(page, 'welcome (fr)');
    await page.getByRole('button', { name: 'Configurer la double authentification' }).click();
    const qr = page.getByRole('img', { name: 'Code QR à scanner avec l’application d’authentification' });
    await qr.waitFor();
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    // What a phone would read from the code drawn in the page: the otpauth URI with this secret.
    const uri = new URL((await readQrCode(qr)) ?? 'about:blank');
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    await expectAccessible(page, 'two-factor enrolment (fr)');
    await screenshot(page, 'console-totp');
    await page.getByLabel('Code à 6 chiffres').fill('000000');
    await page.getByRole('button', { name: 'Activer' }).click();
    await page.getByText('Code refusé', { exact: false }).waitFor();
    const code = authenticator.clone({ epoch: web.ctx.now().getTime() }).generate(secret);
    await page.getByLabel('Code à 6 chiffres').fill(code);
    await page.getByRole('button', { name: 'Activer' }).click();
    await page.getByText('C’est fait : votre compte demande désormais un code').waitFor();
    await page.getByRole('link', { name: 'Aller à la console' }).click();

    // Home → her collective → link the domain.
    await headingIs(page, 'Console');
    await page.getByRole('heading', { level: 3, name: 'Les Amis du Jardin' }).getByRole('link').click();
    await headingIs(page, 'Collectif Les Amis du Jardin');
    await expectAccessible(page, 'collective (fr)');
    await page.getByLabel('Nom de domaine').fill(`https://${DOMAIN}/`);
    await page.getByRole('button', { name: 'Relier ce domaine' }).click();
    await headingIs(page, DOMAIN);
    await page.getByText('Étape 1 : prouvez que le domaine est à vous').waitFor();
    await expectAccessible(page, 'domain, proof step (fr)');
    await screenshot(page, 'console-domain-proof');

    // The proof, field by field: each copy button copies exactly that field.
    const domain = (await web.client.request('GET', `/api/v1/domains/${DOMAIN}`, { as: racine })).body;
    await page.locator('.proof').getByRole('button', { name: 'Copier le nom (TXT _giroflee)' }).click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe('_giroflee');
    await page.locator('.proof').getByRole('button', { name: 'Copier : Valeur (_giroflee)' }).click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(
      domain.verification.value,
    );
    await page.locator('#announcements', { hasText: 'Copié dans le presse-papiers.' }).waitFor();
    await page.getByText('Vous collez une zone entière ?').click();
    await page
      .getByLabel('Extrait de zone')
      .getByText(`_giroflee.${DOMAIN}.`, { exact: false })
      .first()
      .waitFor();

    // Not published yet: said in words.
    env.delegate(DOMAIN);
    await page.getByRole('button', { name: 'Vérifier maintenant' }).first().click();
    await page.getByText('Preuve pas encore trouvée').waitFor();
    // Published: the proof is found and the domain is hers.
    env.zone.push(rr.txt(`_giroflee.${DOMAIN}`, domain.verification.value));
    await page.getByRole('button', { name: 'Vérifier maintenant' }).first().click();
    await page
      .locator('.domain-state')
      .getByText(/Tout est correct|À corriger|À améliorer/)
      .waitFor();
    await page.locator('#announcements', { hasText: `Preuve trouvée : ${DOMAIN}` }).waitFor();

    // The checklist: MX is missing, then published and re-checked on its own row.
    await rowSays(page, 'verification', 'Correct');
    await rowSays(page, 'mx', 'À corriger');
    await expectAccessible(page, 'domain checklist (fr)');
    const plan: Array<{ id: string; type: string; name: string; value: string }> = (
      await web.client.request('GET', `/api/v1/domains/${DOMAIN}/records`, { as: racine })
    ).body;
    const publish = (id: string) => {
      const r = plan.find((p) => p.id === id);
      if (!r) throw new Error(`no planned record ${id}`);
      if (r.type === 'MX') env.zone.push(rr.mx(r.name, Number(r.value.split(' ')[0]), r.value.split(' ')[1]));
      else if (r.type === 'CNAME') env.zone.push(rr.cname(r.name, r.value));
      else if (r.type === 'SRV')
        env.zone.push(rr.srv(r.name, Number(r.value.split(' ')[2]), r.value.split(' ')[3]));
      else env.zone.push(rr.txt(r.name, r.value));
    };
    publish('mx-1');
    publish('mx-2');
    await page.getByRole('button', { name: 'Revérifier « MX — réception du courrier »' }).click();
    await rowSays(page, 'mx', 'Correct');
    await page.locator('#announcements', { hasText: 'MX — réception du courrier : Correct' }).waitFor();
    await rowSays(page, 'spf', 'À corriger');

    // An SPF record of her own already exists: the trap is named.
    env.zone.push(rr.txt(DOMAIN, 'v=spf1 include:_spf.newsletter.example ~all'));
    await page.getByRole('button', { name: 'Revérifier « SPF — serveurs autorisés à envoyer »' }).click();
    await page
      .locator('li.check[data-check="spf"]')
      .getByText('Vous avez déjà un SPF', { exact: false })
      .waitFor();
    env.zone.splice(
      env.zone.findIndex((r) => r.type === 'TXT' && r.name === DOMAIN),
      1,
    );

    // Everything else, published at once: every row goes green.
    for (const r of plan) if (!['verification', 'mx-1', 'mx-2'].includes(r.id)) publish(r.id);
    await env.refreshPlatformZone();
    await page.getByRole('button', { name: 'Vérifier maintenant' }).first().click();
    const rows = await page.locator('li.check').count();
    await page.getByTestId('checklist-summary').getByText(`${rows} sur ${rows} corrects`).waitFor();
    for (const id of ['spf', 'dkim', 'dmarc', 'mta-sts', 'tls-rpt']) await rowSays(page, id, 'Correct');
    await page.locator('.domain-state').getByText('Tout est correct').waitFor();
    await expectAccessible(page, 'domain checklist, all green (fr)');
    await screenshot(page, 'console-domain-checklist');

    // A mailbox with a temporary password: its owner changes it, and gets her recovery code, at
    // her first login; the treasurer never sees the code.
    await page
      .getByRole('navigation', { name: 'Sections du domaine' })
      .getByRole('link', { name: 'Boîtes aux lettres' })
      .click();
    await headingIs(page, `Boîtes aux lettres de ${DOMAIN}`);
    await page.getByRole('link', { name: 'Créer une boîte aux lettres' }).click();
    await headingIs(page, `Nouvelle boîte aux lettres sur ${DOMAIN}`);
    await page.getByLabel('Début de l’adresse').fill('tresorerie');
    await page.getByText(`L’adresse sera tresorerie@${DOMAIN}`).waitFor();
    await page.getByLabel('Nom affiché (facultatif)').fill('Trésorerie');
    // She sets the password herself here (the other choice sends the owner a one-time link).
    await page.getByLabel('Vous, maintenant').check();
    await page.getByLabel('Mot de passe de la boîte').fill('des carottes pour tout le quartier');
    await page
      .getByLabel('Nouveau mot de passe, une seconde fois')
      .fill('des carottes pour tout le quartier');
    await expectAccessible(page, 'new mailbox (fr)');
    await page.getByRole('button', { name: 'Créer la boîte' }).click();
    await headingIs(page, `tresorerie@${DOMAIN}`);
    await page.getByText('Mot de passe provisoire').waitFor();
    expect(await page.getByTestId('recovery-code').count()).toBe(0);
    expect(
      (
        await web.ctx
          .db('mailboxes')
          .where({ address: `tresorerie@${DOMAIN}` })
          .first()
      ).must_change_password,
    ).toBe(true);

    // An alias forwarding outside the platform, with the SPF/DMARC caveat.
    await page.goto(`${web.url}/console/domains/${DOMAIN}/aliases`);
    await headingIs(page, `Alias de ${DOMAIN}`);
    await page.getByLabel('Début de l’adresse').fill('bureau');
    await page.getByLabel('Faire suivre à').fill(`tresorerie@${DOMAIN}\npresidente@exemple-perso.example`);
    await page.getByText('Transfert hors de la plateforme : presidente@exemple-perso.example.').waitFor();
    await expectAccessible(page, 'aliases with the forwarding caveat (fr)');
    await page.getByRole('button', { name: 'Créer l’alias' }).click();
    await page.getByRole('main').getByText(`Alias bureau@${DOMAIN} créé.`).waitFor();
    await page.getByRole('row', { name: new RegExp(`bureau@${DOMAIN}`) }).waitFor();
    assertClean();
    await close();
  });

  it('keeps the admin screens from a plain member of the same collective', async () => {
    const member = await makeAccount(web.ctx, { collectiveId: collective.id, role: 'member' });
    const domain = await makeDomain(web.ctx, { collectiveId: collective.id });
    const mailbox = await makeMailbox(web.ctx, { domainId: domain.id });
    const { page, assertClean, close } = await web.newPage({ language: 'en' });
    opened.push(close);
    await page.goto(`${web.url}/login`);
    await logIn(page, member.email, 'correct horse battery staple');
    await headingIs(page, 'Console');
    await page.getByText('Les Amis du Jardin (member)').waitFor();
    for (const name of ['Members', 'API tokens', 'Log', 'Relays', 'Collectives']) {
      expect(await page.getByRole('link', { name, exact: true }).count()).toBe(0);
    }
    // The page checks again by itself every 30 s while open, until the person turns it off.
    const checks: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith(`/domains/${domain.name}/check`)) checks.push(r.url());
    });
    await page.clock.install();
    await page.goto(`${web.url}/console/domains/${domain.name}`);
    await headingIs(page, domain.name);
    await page.getByRole('heading', { name: 'The DNS records' }).waitFor();
    await page.getByTestId('checklist-summary').waitFor();
    expect(checks).toHaveLength(1);
    await page.clock.fastForward(31_000);
    await until(() => checks.length === 2, 'the page checked again by itself');
    await page.getByLabel('Check again every 30 seconds while the page is open').uncheck();
    // Preact clears the interval in an effect it runs after the next frame, itself a timer of the
    // page's fake clock: run the clock past it, timer by timer, before jumping a minute ahead.
    await page.clock.runFor(500);
    await page.clock.fastForward(61_000);
    // A request made now is seen after any the timers made before it: none was.
    await page.evaluate(() => fetch('/api/v1/me').then(() => undefined));
    expect(checks).toHaveLength(2);
    await page.getByRole('button', { name: 'Check now' }).click();
    await until(() => checks.length === 3, 'the button checked');
    expect(await page.getByRole('button', { name: /^Delete / }).count()).toBe(0);
    await page.goto(`${web.url}/console/domains/${domain.name}/mailboxes`);
    await page.getByRole('link', { name: mailbox.address }).waitFor();
    expect(await page.getByRole('link', { name: 'Create a mailbox' }).count()).toBe(0);
    await expectAccessible(page, 'mailboxes as a member (en)');
    for (const path of [
      `/console/c/${collective.slug}/members`,
      `/console/c/${collective.slug}/tokens`,
      `/console/domains/${domain.name}/mailboxes/new`,
      '/console/racine/relays',
      '/console/racine/collectives',
    ]) {
      await page.goto(`${web.url}${path}`);
      await headingIs(page, 'Page not found');
    }
    expect(await sidewaysOverflow(page)).toBe(0);
    assertClean();
    await close();
  });

  it('lets an admin invite, withdraw, promote and remove members, the newcomer joining from the e-mail', async () => {
    const admin = await makeAccount(web.ctx, {
      email: 'presidente@amis-du-jardin.example',
      collectiveId: collective.id,
      role: 'admin',
    });
    const leaving = await makeAccount(web.ctx, {
      email: 'ancien@amis-du-jardin.example',
      collectiveId: collective.id,
      role: 'member',
    });
    const { page, assertClean, close } = await web.newPage();
    opened.push(close);
    await page.goto(`${web.url}/login`);
    await logIn(page, admin.email, TEST_PASSWORD);
    await headingIs(page, 'Console');
    await page.goto(`${web.url}/console/c/${collective.slug}/members`);
    await headingIs(page, `Membres de ${collective.name}`);
    const main = page.getByRole('main');

    // Two invitations, one of them a mistake, withdrawn.
    const newcomer = 'nouvelle@amis-du-jardin.example';
    const mistaken = 'erreur@amis-du-jardin.example';
    for (const email of [newcomer, mistaken]) {
      await page.getByLabel('Adresse e-mail de la personne').fill(email);
      await page.getByRole('button', { name: 'Inviter', exact: true }).click();
      await main.getByText(`Invitation envoyée à ${email}.`, { exact: false }).waitFor();
    }
    await page.getByRole('button', { name: `Retirer l’invitation de ${mistaken}` }).click();
    const withdraw = page.getByRole('dialog');
    await withdraw.getByText('ne fonctionneront plus', { exact: false }).waitFor();
    await withdraw.getByRole('button', { name: 'Retirer l’invitation' }).click();
    await main.getByText(`L’invitation de ${mistaken} est retirée.`).waitFor();
    await main.getByText(`${newcomer} (membre)`, { exact: false }).waitFor();
    expect(await main.getByText(`${mistaken} (membre)`, { exact: false }).count()).toBe(0);

    // The newcomer follows the mailed link, in English, and joins with a password of her own.
    const mailed = () => mails.find((m) => m.to.includes(newcomer));
    await until(() => mailed() !== undefined, 'the invitation was mailed');
    const link = new URL(/(https?:\/\/\S+\/join#\S+)/.exec(mailed()?.text ?? '')?.[1] ?? 'about:blank');
    const joining = await web.newPage({ language: 'en' });
    opened.push(joining.close);
    await joining.page.goto(`${web.url}/join${link.hash}`);
    await headingIs(joining.page, 'Join a collective').catch(async (e: Error) => {
      // Says where the page went and what it shows, so a rare failure can be read.
      const shown = await joining.page.evaluate(() => document.body.innerText.slice(0, 500));
      throw new Error(`${e.message}\nat ${joining.page.url()}:\n${shown}`);
    });
    const chosen = 'the beans climb the old garden fence';
    await joining.page.getByLabel('Your password', { exact: true }).fill(chosen);
    await joining.page.getByLabel('Your password, once more').fill(chosen);
    await joining.page.getByRole('button', { name: 'Create my account and join' }).click();
    await joining.page.waitForURL(/\/console\/welcome$/);
    joining.assertClean();

    // She is a member; the admin makes her an admin, then removes the one who left.
    await page.reload();
    const row = page.getByRole('row', { name: new RegExp(newcomer) });
    await row.getByRole('cell', { name: 'membre', exact: true }).waitFor();
    await row.getByRole('button', { name: `Nommer ${newcomer} administrateur·ice` }).click();
    const promote = page.getByRole('dialog', { name: `Nommer ${newcomer} administrateur·ice ?` });
    await promote.getByText('pourra gérer tout le collectif', { exact: false }).waitFor();
    await expectAccessible(page, 'role change confirmation (fr)');
    await promote.getByRole('button', { name: 'Changer le rôle' }).click();
    await main.getByText(`Rôle de ${newcomer} : administration.`).waitFor();
    await row.getByRole('cell', { name: 'administration', exact: true }).waitFor();

    await page.getByRole('button', { name: `Retirer ${leaving.email}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retirer', exact: true }).click();
    await main.getByText(`${leaving.email} a été retiré du collectif.`).waitFor();
    await page.getByRole('row', { name: new RegExp(leaving.email) }).waitFor({ state: 'detached' });
    await expectAccessible(page, 'members after the changes (fr)');

    const roles = await web.ctx
      .db('memberships as m')
      .join('accounts as a', 'a.id', 'm.account_id')
      .where('m.collective_id', collective.id)
      .whereIn('a.email', [admin.email, newcomer, leaving.email, mistaken])
      .select('a.email', 'm.role');
    expect(roles.sort((a, b) => a.email.localeCompare(b.email))).toEqual([
      { email: newcomer, role: 'admin' },
      { email: admin.email, role: 'admin' },
    ]);
    const actions = await web.ctx.db('audit_log').where({ actor_id: admin.id }).orderBy('id').pluck('action');
    expect(actions).toEqual([
      'member.invite',
      'member.invite',
      'member.invite.revoke',
      'member.role',
      'member.remove',
    ]);
    assertClean();
    await close();
  });
});
