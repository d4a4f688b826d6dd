import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureVmailUser } from '../../src/mailstack/processes';
import { cliHarness } from '../support/cli';

/** `giroflee mta render` is a file step: it works before the machine is set up. */
describe('giroflee mta render', () => {
  const cli = cliHarness();
  let out: string;
  beforeAll(() => cli.start());
  beforeEach(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-render-'));
  });
  afterEach(() => fs.rmSync(out, { recursive: true, force: true }));
  afterAll(() => cli.stop());

  const dovecotConf = () => fs.readFileSync(path.join(out, 'dovecot', 'dovecot.conf'), 'utf8');

  it('writes every file when the mail store user does not exist yet, and says how to create it', async () => {
    const user = 'giroflee-absent-vmail';
    const res = await cli.run(
      'mta',
      'render',
      '--out',
      out,
      '--vmail-user',
      user,
      '--vmail-uid',
      '5123',
      '--json',
    );
    expect(res.code).toBe(0);
    const { written, create } = JSON.parse(res.out) as { written: string[]; create: string[] };
    expect(written).toEqual(
      expect.arrayContaining([
        path.join(out, 'postfix', 'main.cf'),
        path.join(out, 'dovecot', 'dovecot.conf'),
        // Dovecot's global scripts and the defence's rspamd files.
        path.join(out, 'sieve', 'delivery.sieve'),
        path.join(out, 'sieve', 'report-junk.sieve'),
        path.join(out, 'rspamd', 'local.d', 'milter_headers.conf'),
        path.join(out, 'rspamd', 'override.d', 'worker-fuzzy.inc'),
      ]),
    );
    expect(fs.readFileSync(path.join(out, 'rspamd', 'override.d', 'worker-fuzzy.inc'), 'utf8')).toMatch(
      /^count = 1;$/m,
    );
    for (const file of written) expect(fs.existsSync(file)).toBe(true);
    expect(dovecotConf()).toMatch(/^mail_uid = 5123$/m);
    expect(dovecotConf()).toMatch(/^mail_gid = 5123$/m);
    expect(create).toEqual([
      `groupadd --system --gid 5123 ${user}`,
      `useradd --system --uid 5123 --gid 5123 --home-dir /var/vmail --no-create-home --shell /usr/sbin/nologin ${user}`,
      `install -d -o ${user} -g ${user} -m 0700 /var/vmail`,
    ]);

    const text = await cli.run('mta', 'render', '--out', out, '--vmail-user', user);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`does not exist yet; the files name uid 5000 and gid 5000`);
    expect(text.out).toContain(`n'existe pas encore`);
    expect(text.out).toContain(`  useradd --system --uid 5000 --gid 5000`);
  });

  it("uses an existing user's own ids, and refuses others given for it", async () => {
    const vmail = await ensureVmailUser();
    const res = await cli.run('mta', 'render', '--out', out, '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out).create).toEqual([]);
    expect(dovecotConf()).toMatch(new RegExp(`^mail_uid = ${vmail.uid}$`, 'm'));

    const other = await cli.run('mta', 'render', '--out', out, '--vmail-uid', String(vmail.uid + 1));
    expect(other.code).toBe(1);
    expect(other.err).toContain(`user vmail exists with uid ${vmail.uid}`);
  });
});
