import fs from 'node:fs';
import nodemailer from 'nodemailer';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';
import { staticLookup } from '../../src/dns/zone-server';
import { startFixtureDns } from '../dns/fixture-dns';
import { cliHarness } from '../support/cli';
import { makeCollective, makeDomain, makeMailbox } from '../support/factories';
import { REAL_STACK_TEST_MS } from '../support/wait-until';

jest.setTimeout(REAL_STACK_TEST_MS);

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

/** `giroflee mailstack up` starts rspamd with Postfix and Dovecot, as `npm start` does. */
describe('giroflee mailstack up', () => {
  const cli = cliHarness();
  let dns: Awaited<ReturnType<typeof startFixtureDns>>;

  beforeAll(async () => {
    await cli.start();
    // Postfix and Dovecot run as their own users: they must reach the stack under the data directory.
    fs.chmodSync(process.env.GIROFLEE_DATA_DIR!, 0o711);
    dns = await startFixtureDns({ '127.0.0.1': staticLookup([]) });
    const names = [
      'GIROFLEE_MAILSTACK_MX',
      'GIROFLEE_MAILSTACK_SUBMISSION',
      'GIROFLEE_MAILSTACK_SUBMISSIONS',
      'GIROFLEE_MAILSTACK_IMAP',
      'GIROFLEE_MAILSTACK_AUTH',
      'GIROFLEE_MAILSTACK_QUOTA_STATUS',
      'GIROFLEE_MAILSTACK_RSPAMD_MILTER',
      'GIROFLEE_MAILSTACK_RSPAMD_FUZZY',
    ];
    const endpoints = [
      'GIROFLEE_DOVECOT_LMTP',
      'GIROFLEE_REINJECT',
      'GIROFLEE_MANAGESIEVE',
      'GIROFLEE_DOVEADM',
    ];
    const ports = await freeLoopbackPorts(names.length + endpoints.length);
    names.forEach((n, i) => (process.env[n] = String(ports[i])));
    endpoints.forEach((n, i) => (process.env[n] = `127.0.0.1:${ports[names.length + i]}`));
    process.env.GIROFLEE_DNS_SERVERS = `127.0.0.1:${dns.port}`;
  });

  afterAll(async () => {
    // Whatever happened above: nothing of the stack may outlive the test.
    await cli.run('mailstack', 'down');
    await dns?.stop();
    await cli.stop();
  });

  it('runs rspamd as the MX milter (GTUBE refused at SMTP), and `down` stops it', async () => {
    const collective = await makeCollective(cli.ctx);
    const domain = await makeDomain(cli.ctx, { collectiveId: collective.id });
    const box = await makeMailbox(cli.ctx, { domainId: domain.id });
    const up = await cli.run('mailstack', 'up', '--json');
    // On failure, its message says why (stderr also carries the new master key's notice).
    expect({ code: up.code, err: up.code === 0 ? '' : up.err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse((await cli.run('mailstack', 'status', '--json')).out)).toEqual({
      postfix: true,
      dovecot: true,
      rspamd: true,
    });
    const mx = nodemailer.createTransport({
      host: '127.0.0.1',
      port: Number(process.env.GIROFLEE_MAILSTACK_MX),
      secure: false,
      ignoreTLS: true,
    });
    await expect(
      mx.sendMail({ from: 'a@remote.example', to: box.address, subject: 'test', text: GTUBE }),
    ).rejects.toMatchObject({ responseCode: 554, response: expect.stringContaining('5.7.1') });

    expect((await cli.run('mailstack', 'down')).code).toBe(0);
    const status = await cli.run('mailstack', 'status');
    expect(status.code).toBe(3);
    expect(status.out).toContain('rspamd: stopped / arrêté');
  });
});
