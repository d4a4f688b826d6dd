import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { freeLoopbackPorts } from '../../src/mailstack/free-ports';

/** Runs `giroflee serve` in this process with `env`; what it printed and its exit code. */
async function serve(env: Record<string, string>): Promise<{ err: string; code: number }> {
  const saved = { ...process.env };
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    delete process.env.DATABASE_URL;
    delete process.env.LC_ALL;
    delete process.env.LC_MESSAGES;
    Object.assign(process.env, env);
    const argv = ['node', 'giroflee', 'serve'];
    await (await buildProgram(argv)).exitOverride().parseAsync(argv);
  } finally {
    process.env = saved;
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { err, code };
}

function holdTcp(port: number): Promise<net.Server> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/**
 * A taken port used to end in a raw EADDRINUSE stack after a new data directory, cluster and
 * master key had been made. Now every listener is tried first, and nothing is created.
 */
describe('giroflee serve: every listener is checked before anything is created', () => {
  let root: string;
  let dataDir: string;
  let env: Record<string, string>;
  const held: Array<{ close(): void }> = [];

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-preflight-'));
    fs.chmodSync(root, 0o711);
    dataDir = path.join(root, 'data');
    const [
      http,
      lmtp,
      outbound,
      zone,
      mx,
      submission,
      imap,
      dovecot,
      reinject,
      auth,
      quota,
      metrics,
      milter,
      policy,
    ] = await freeLoopbackPorts(14);
    const at = (p: number) => `127.0.0.1:${p}`;
    env = {
      GIROFLEE_DATA_DIR: dataDir,
      GIROFLEE_HTTP: at(http),
      GIROFLEE_METRICS_LISTEN: at(metrics),
      GIROFLEE_LMTP: at(lmtp),
      GIROFLEE_OUTBOUND: at(outbound),
      GIROFLEE_SUBMISSION_MILTER: at(milter),
      GIROFLEE_SENDING_POLICY: at(policy),
      GIROFLEE_DNS_ZONE_LISTEN: at(zone),
      GIROFLEE_DOVECOT_LMTP: at(dovecot),
      GIROFLEE_REINJECT: at(reinject),
      GIROFLEE_MAILSTACK_MX: String(mx),
      GIROFLEE_MAILSTACK_SUBMISSION: String(submission),
      GIROFLEE_MAILSTACK_IMAP: String(imap),
      GIROFLEE_MAILSTACK_AUTH: String(auth),
      GIROFLEE_MAILSTACK_QUOTA_STATUS: String(quota),
      LOG_LEVEL: 'silent',
    };
  });

  afterEach(() => {
    for (const h of held.splice(0)) h.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function expectNothingCreated(err: string) {
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(err).not.toMatch(/^\s+at /m);
  }

  it('names the HTTP port another program holds and GIROFLEE_HTTP, in French and English', async () => {
    const port = Number(env.GIROFLEE_HTTP.split(':')[1]);
    held.push(await holdTcp(port));
    const { err, code } = await serve({ ...env, LANG: 'fr_FR.UTF-8' });
    expect(code).toBe(1);
    expect(err).toContain(`giroflee: giroflee ne peut pas démarrer, et n’a rien créé`);
    expect(err).toContain(`127.0.0.1:${port}/tcp (l’API HTTP) est déjà pris par un autre programme`);
    expectNothingCreated(err);
    const english = await serve({ ...env, LANG: 'en_US.UTF-8' });
    expect(english.err).toContain(`127.0.0.1:${port}/tcp (the HTTP API) is already taken by another program`);
    expect(english.err).toContain('GIROFLEE_HTTP=127.0.0.1:<another port>');
    expectNothingCreated(english.err);
  });

  it('checks the platform DNS zone over UDP as well as TCP', async () => {
    const port = Number(env.GIROFLEE_DNS_ZONE_LISTEN.split(':')[1]);
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
    held.push(udp);
    const { err, code } = await serve({ ...env, LANG: 'en_US.UTF-8' });
    expect(code).toBe(1);
    expect(err).toContain(`127.0.0.1:${port}/udp (the platform DNS zone) is already taken`);
    expect(err).toContain('GIROFLEE_DNS_ZONE_LISTEN=127.0.0.1:<another port>');
    expectNothingCreated(err);
  });

  it('checks the mail stack’s ports with GIROFLEE_MAILSTACK=1, each with its own variable', async () => {
    const mx = Number(env.GIROFLEE_MAILSTACK_MX);
    const auth = Number(env.GIROFLEE_MAILSTACK_AUTH);
    held.push(await holdTcp(mx), await holdTcp(auth));
    const { err, code } = await serve({ ...env, GIROFLEE_MAILSTACK: '1', LANG: 'en_US.UTF-8' });
    expect(code).toBe(1);
    expect(err).toContain(`127.0.0.1:${mx}/tcp (Postfix’s MX) is already taken`);
    expect(err).toContain('GIROFLEE_MAILSTACK_MX=<another port>');
    expect(err).toContain(`127.0.0.1:${auth}/tcp (Dovecot’s authentication for Postfix) is already taken`);
    expect(err).toContain('GIROFLEE_MAILSTACK_AUTH=<another port>');
    expectNothingCreated(err);
  });

  it('refuses two settings that name the same port', async () => {
    const { err, code } = await serve({ ...env, GIROFLEE_LMTP: env.GIROFLEE_HTTP, LANG: 'en_US.UTF-8' });
    expect(code).toBe(1);
    const port = env.GIROFLEE_HTTP.split(':')[1];
    expect(err).toContain(`GIROFLEE_HTTP and GIROFLEE_LMTP both ask for port ${port}/tcp`);
    const french = await serve({ ...env, GIROFLEE_LMTP: env.GIROFLEE_HTTP, LANG: 'fr_FR.UTF-8' });
    expect(french.err).toContain(`GIROFLEE_HTTP et GIROFLEE_LMTP demandent tous deux le port ${port}/tcp`);
    expectNothingCreated(err);
  });

  it('stops, naming the closed folder, when Postfix and Dovecot could not reach the mail stack under a 0700 home', async () => {
    const home = path.join(root, 'home');
    fs.mkdirSync(home, { mode: 0o700 });
    dataDir = path.join(home, 'giroflee', 'data');
    const stack = { ...env, GIROFLEE_DATA_DIR: dataDir, GIROFLEE_MAILSTACK: '1' };
    const { err, code } = await serve({ ...stack, LANG: 'en_US.UTF-8' });
    expect(code).toBe(1);
    expect(err).toContain(
      `cannot reach ${path.join(dataDir, 'mailstack')}: the folder ${home} is closed to them`,
    );
    expect((await serve({ ...stack, LANG: 'fr_FR.UTF-8' })).err).toContain(
      `le dossier ${home} leur est fermé`,
    );
    expect(err).toContain('GIROFLEE_DATA_DIR=');
    expectNothingCreated(err);
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
  });
});
