import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { version } from '../../package.json';
import { verifyPassword } from '../../src/auth/password-hash';
import { createSession } from '../../src/auth/sessions';
import { cliHarness } from '../support/cli';

const ROOT = path.join(__dirname, '..', '..');

describe('giroflee CLI: errors, version, account password reset, lazy loading', () => {
  const cli = cliHarness();
  const saved = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL, LC_MESSAGES: process.env.LC_MESSAGES };
  const inLanguage = (lang: string) => {
    delete process.env.LC_ALL;
    delete process.env.LC_MESSAGES;
    process.env.LANG = lang;
  };
  beforeAll(() => cli.start());
  afterAll(async () => {
    Object.assign(process.env, saved);
    await cli.stop();
  });

  it('prints validation details in the language of LANG, French by default, never mixed', async () => {
    inLanguage('fr_FR.UTF-8');
    const fr = await cli.run('collective', 'add', 'Pas Bon', '--name', '');
    expect(fr.code).toBe(1);
    expect(fr.err).toContain('giroflee: Requête invalide. (validation_failed)');
    expect(fr.err).toContain('slug: lettres minuscules, chiffres et tirets intérieurs');
    expect(fr.err).toMatch(/name: Trop petit/);
    expect(fr.err).not.toMatch(/Invalid|Too small|lowercase/);

    inLanguage('en_GB.UTF-8');
    const en = await cli.run('collective', 'add', 'Pas Bon', '--name', '');
    expect(en.err).toContain('giroflee: Invalid request. (validation_failed)');
    expect(en.err).toContain('slug: lowercase letters, digits and inner hyphens');
    expect(en.err).not.toMatch(/Requête|Trop petit|minuscules/);
  });

  it('prints a taken slug and an existing e-mail as one localized line, without SQL or a stack', async () => {
    inLanguage('C.UTF-8');
    expect((await cli.run('collective', 'add', 'pris', '--name', 'Pris')).code).toBe(0);
    const slug = await cli.run('collective', 'add', 'pris', '--name', 'Pris');
    expect(slug.code).toBe(1);
    expect(slug.err).toBe('giroflee: Un collectif porte déjà ce nom court. (collective_exists)\n');
    await cli.run('racine', 'add', 'deja@example.org');
    const email = await cli.run('racine', 'add', 'deja@example.org');
    expect(email.err).toBe('giroflee: Un compte existe déjà avec cette adresse. (account_exists)\n');
  });

  it('refuses a NUL in a collective name with 400-style validation, creating nothing', async () => {
    inLanguage('en_US.UTF-8');
    const res = await cli.run('collective', 'add', 'nul', '--name', 'a\u0000b');
    expect(res.code).toBe(1);
    expect(res.err).toContain('name: Control characters');
    expect(await cli.db('collectives').where({ slug: 'nul' })).toHaveLength(0);
  });

  it('prints its version with --version', async () => {
    const res = await cli.run('--version').catch((e: { message: string }) => ({ out: e.message }));
    // commander exits (here: throws, exitOverride) after printing the version.
    expect(String(res.out)).toContain(version);
  });

  it('resets a console account’s password: a one-time password printed once, sessions closed, audited', async () => {
    await cli.run('racine', 'add', 'oubli@example.org');
    const account = await cli.db('accounts').where({ email: 'oubli@example.org' }).first();
    await cli.db('accounts').where({ id: account.id }).update({ must_change_password: false });
    await createSession(cli.ctx, { accountId: account.id }, 1);
    const res = await cli.run('account', 'reset-password', 'Oubli@Example.org', '--json');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out);
    expect(out).toMatchObject({ email: 'oubli@example.org', mustChangePassword: true });
    const after = await cli.db('accounts').where({ id: account.id }).first();
    expect(await verifyPassword(after.password_hash, out.oneTimePassword)).toBe(true);
    expect(await cli.db('sessions').where({ account_id: account.id }).whereNull('revoked_at')).toHaveLength(
      0,
    );
    const audit = await cli.db('audit_log').where({ action: 'account.password.reset' }).first();
    expect(audit).toMatchObject({ target_id: account.id, actor_label: 'cli' });
    expect(JSON.stringify(audit.details)).not.toContain(out.oneTimePassword);

    inLanguage('fr_FR.UTF-8');
    const unknown = await cli.run('account', 'reset-password', 'personne@example.org');
    expect(unknown.err).toBe('giroflee: Introuvable. (not_found)\n');
  });

  it('resets a console account’s TOTP on a racine’s word: enrolment gone, sessions closed, audited', async () => {
    await cli.run('racine', 'add', 'sans-telephone@example.org');
    const account = await cli.db('accounts').where({ email: 'sans-telephone@example.org' }).first();
    await cli.db('accounts').where({ id: account.id }).update({ totp_enabled: true, totp_secret: 'wrapped' });
    await createSession(cli.ctx, { accountId: account.id }, 1);
    const res = await cli.run('account', 'reset-totp', 'Sans-Telephone@example.org', '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ email: 'sans-telephone@example.org', totpEnabled: false });
    expect(await cli.db('accounts').where({ id: account.id }).first()).toMatchObject({
      totp_enabled: false,
      totp_secret: null,
    });
    expect(await cli.db('sessions').where({ account_id: account.id }).whereNull('revoked_at')).toHaveLength(
      0,
    );
    const audit = await cli.db('audit_log').where({ action: 'account.totp.reset' }).first();
    expect(audit).toMatchObject({ target_id: account.id, actor_label: 'cli' });

    const unknown = await cli.run('account', 'reset-totp', 'personne@example.org');
    expect(unknown.code).toBe(1);
    expect(await cli.db('audit_log').where({ action: 'account.totp.reset' })).toHaveLength(1);
  });

  it('loads only the modules of the command that runs (no openpgp, relay or DNS code for `collective list`)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../scripts/build.js').ensureBuilt();
    const script = `
      const main = require('./dist/src/cli/main.js');
      main.buildProgram(['node', 'giroflee', ...JSON.parse(process.argv[1])]).then(() => {
        const loaded = Object.keys(require.cache);
        const has = (part) => loaded.some((k) => k.includes(part));
        process.stdout.write(JSON.stringify({
          collectives: has('/dist/src/cli/commands/collectives.js'),
          relay: has('/dist/src/relay/'),
          dns: has('/dist/src/dns/'),
          openpgp: has('/node_modules/openpgp/'),
          mailauth: has('/node_modules/mailauth/'),
          knex: has('/node_modules/knex/'),
        }));
      });`;
    const load = async (...args: string[]) =>
      JSON.parse(
        (await promisify(execFile)(process.execPath, ['-e', script, JSON.stringify(args)], { cwd: ROOT }))
          .stdout,
      );
    expect(await load('--help')).toEqual({
      collectives: false,
      relay: false,
      dns: false,
      openpgp: false,
      mailauth: false,
      knex: false,
    });
    expect(await load('collective', 'list')).toMatchObject({
      collectives: true,
      relay: false,
      dns: false,
      openpgp: false,
      mailauth: false,
    });
  });
});
