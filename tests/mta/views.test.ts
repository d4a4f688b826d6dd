import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { privateSettings, writeConfiguration } from '../../src/mailstack/start-mailstack';
import { createTestContext, TestContext } from '../support/context';
import { makeAlias, makeCollective, makeDomain, makeMailbox, TEST_PASSWORD } from '../support/factories';

const run = promisify(execFile);

/**
 * The `mta` views through the exact lookups Postfix and Dovecot make: Postfix's own pgsql
 * client (`postmap -q`) on the rendered maps, Dovecot's rendered SQL queries, and Dovecot's
 * own password scheme check (`doveadm pw -t`).
 */
describe('mta views', () => {
  let ctx: TestContext;
  let dir: string;
  let postfixDir: string;
  let dovecotSql: string;
  let active: { name: string; id: string };
  let catchAllDomain: { name: string; id: string };

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'giroflee-mta-views-'));
    const settings = await privateSettings({
      dir,
      databaseUrl: ctx.databaseUrl,
      inboundTransport: 'dovecot',
    });
    await writeConfiguration(settings);
    postfixDir = settings.paths.postfixConfigDir;
    dovecotSql = await fs.readFile(
      path.join(path.dirname(settings.paths.dovecotConfigFile), 'dovecot-sql.conf.ext'),
      'utf8',
    );

    const c = await makeCollective(ctx);
    active = await makeDomain(ctx, { collectiveId: c.id, name: 'actif.example' });
    catchAllDomain = await makeDomain(ctx, { collectiveId: c.id, name: 'attrape.example' });
    const pending = await makeDomain(ctx, {
      collectiveId: c.id,
      name: 'attente.example',
      status: 'pending',
    });
    await makeMailbox(ctx, { domainId: active.id, localPart: 'alice', quotaBytes: 5 * 1024 ** 2 });
    const off = await makeMailbox(ctx, { domainId: active.id, localPart: 'ancien' });
    await ctx.db('mailboxes').where({ id: off.id }).update({ status: 'disabled' });
    await makeMailbox(ctx, { domainId: pending.id, localPart: 'bob' });
    await makeAlias(ctx, {
      domainId: active.id,
      localPart: 'contact',
      destinations: ['alice@actif.example', 'ami@ailleurs.example'],
    });
    await makeAlias(ctx, {
      domainId: catchAllDomain.id,
      localPart: '*',
      destinations: ['alice@actif.example'],
    });
    await makeAlias(ctx, { domainId: pending.id, localPart: 'info', destinations: ['alice@actif.example'] });
    await makeMailbox(ctx, { domainId: catchAllDomain.id, localPart: 'carla' });
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await ctx.destroy();
  });

  /** Postfix's answer for `key` in the map, or null when the key is not found (postmap exits 1). */
  async function postfixLookup(map: string, key: string): Promise<string | null> {
    try {
      const { stdout } = await run('postmap', [
        '-c',
        postfixDir,
        '-q',
        key,
        `pgsql:${path.join(postfixDir, map)}`,
      ]);
      return stdout.trim();
    } catch (e) {
      if ((e as { code?: number }).code === 1) return null;
      throw e;
    }
  }

  it.each([
    ['pgsql-domains.cf', 'actif.example', 'actif.example'],
    ['pgsql-domains.cf', 'attente.example', null],
    ['pgsql-mailboxes.cf', 'alice@actif.example', 'alice@actif.example'],
    ['pgsql-mailboxes.cf', 'ancien@actif.example', null],
    ['pgsql-mailboxes.cf', 'bob@attente.example', null],
    ['pgsql-mailboxes.cf', "x' OR '1'='1@actif.example", null],
    ['pgsql-aliases.cf', 'contact@actif.example', 'alice@actif.example,ami@ailleurs.example'],
    ['pgsql-aliases.cf', '@attrape.example', 'alice@actif.example'],
    ['pgsql-aliases.cf', 'carla@attrape.example', 'carla@attrape.example'],
    ['pgsql-aliases.cf', 'info@attente.example', null],
    ['pgsql-sender-logins.cf', 'alice@actif.example', 'alice@actif.example'],
    ['pgsql-sender-logins.cf', 'contact@actif.example', 'alice@actif.example'],
    ['pgsql-sender-logins.cf', 'ancien@actif.example', null],
  ])('Postfix %s answers %p with %p', async (map, key, expected) => {
    const answer = await postfixLookup(map, key);
    expect(answer === null ? null : answer.split(',').sort().join(',')).toEqual(expected);
  });

  function dovecotQuery(name: 'password_query' | 'user_query', user: string): string {
    const line = dovecotSql.split('\n').find((l) => l.startsWith(`${name} = `));
    if (!line) throw new Error(`${name} missing from the rendered Dovecot SQL config`);
    // Dovecot escapes %u itself (driver-sql); the addresses used here need no escaping.
    return line.slice(name.length + 3).replace(/%L?u/g, user);
  }

  it('gives Dovecot a password hash its own ARGON2ID scheme verifies', async () => {
    const { rows } = await ctx.db.raw(dovecotQuery('password_query', 'alice@actif.example'));
    expect(rows).toHaveLength(1);
    expect(rows[0].user).toBe('alice@actif.example');
    const ok = await run('doveadm', ['pw', '-t', rows[0].password, '-p', TEST_PASSWORD]);
    expect(ok.stdout).toMatch(/verified/);
    await expect(run('doveadm', ['pw', '-t', rows[0].password, '-p', 'wrong password'])).rejects.toThrow();
  });

  it('gives Dovecot the home under its mail root and the quota rule', async () => {
    const { rows } = await ctx.db.raw(dovecotQuery('user_query', 'alice@actif.example'));
    expect(rows).toEqual([
      {
        home: path.join(dir, 'mail', 'actif.example', 'alice'),
        quota_rule: `*:bytes=${5 * 1024 ** 2}`,
        sieve_vacation_send_from_recipient: 'no',
      },
    ]);
  });

  it('gives Dovecot nothing for a disabled mailbox or a pending domain', async () => {
    for (const user of ['ancien@actif.example', 'bob@attente.example']) {
      expect((await ctx.db.raw(dovecotQuery('password_query', user))).rows).toEqual([]);
    }
  });
  it('keeps delivering to a suspended collective, and gives Dovecot no password of its mailboxes', async () => {
    const c = await makeCollective(ctx);
    const d = await makeDomain(ctx, { collectiveId: c.id, name: 'suspendu.example' });
    const box = await makeMailbox(ctx, { domainId: d.id, localPart: 'dora' });
    await ctx.db('app_passwords').insert({
      mailbox_id: box.id,
      name: 'Téléphone',
      lookup_key: 'abcd-efgh',
      secret_hash: 'a'.repeat(64),
    });
    const appPassword = () =>
      ctx.db.raw(`SELECT * FROM mta.app_password_lookup('dora@suspendu.example', 'abcd-efgh')`);
    expect((await appPassword()).rows).toHaveLength(1);

    await ctx
      .db('collectives')
      .where({ id: c.id })
      .update({ suspended_at: ctx.now(), suspension_reason: 'test' });
    expect(await postfixLookup('pgsql-domains.cf', 'suspendu.example')).toBe('suspendu.example');
    expect(await postfixLookup('pgsql-mailboxes.cf', 'dora@suspendu.example')).toBe('dora@suspendu.example');
    // Its vacation replies name it in the envelope, where the outbound gateway looks.
    expect((await ctx.db.raw(dovecotQuery('user_query', 'dora@suspendu.example'))).rows).toEqual([
      expect.objectContaining({ sieve_vacation_send_from_recipient: 'yes' }),
    ]);
    const { rows } = await ctx.db.raw(dovecotQuery('password_query', 'dora@suspendu.example'));
    expect(rows).toEqual([{ user: 'dora@suspendu.example', password: '{CRYPT}!' }]);
    await expect(run('doveadm', ['pw', '-t', rows[0].password, '-p', TEST_PASSWORD])).rejects.toThrow();
    expect((await appPassword()).rows).toEqual([]);

    await ctx.db('collectives').where({ id: c.id }).update({ suspended_at: null, suspension_reason: null });
    expect(
      (await ctx.db.raw(dovecotQuery('password_query', 'dora@suspendu.example'))).rows[0].password,
    ).toMatch(/^\{ARGON2ID\}/);
    expect((await appPassword()).rows).toHaveLength(1);
  });
});
