import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { listMailboxKeys, provisionMailboxKeys } from '../../src/encryption/mailbox-keys';
import { saveKeyring } from '../../src/encryption/master-key';
import { doveadmApiKey } from '../../src/mailstack/master-user';
import { waitForPort } from '../../src/mailstack/processes';
import { createTestContext, type TestContext } from '../support/context';
import {
  makeCollective,
  makeDkimKeys,
  makeDomain,
  makeMailbox,
  makeRelay,
  TEST_PASSWORD,
} from '../support/factories';
import { freePorts, startTestMailstack, type TestMailstack } from '../support/mailstack';
import { decryptStored, unlockKey } from '../support/openpgp';
import { REAL_STACK_TEST_MS, waitUntil } from '../support/wait-until';
import { startFakeRelay, type FakeRelay } from '../relay/support/fake-relay';

jest.setTimeout(4 * REAL_STACK_TEST_MS);

const REPO = path.resolve(__dirname, '../..');

/**
 * Dovecot's doveadm HTTP API behind a counting pass-through: each node asks its own, so the test
 * sees how many quota passes each node made, without guessing at timings.
 */
async function countingProxy(target: number) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    const upstream = http.request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Node {
  name: string;
  http: number;
  lmtp: number;
  outbound: number;
  process: ChildProcess;
  output: string[];
}

/**
 * Two giroflee nodes on one PostgreSQL, each started as an operator does (`giroflee serve`), in
 * its own process with its own data directory and listeners, sharing the database, the master
 * key and the mail store's Dovecot. Scheduled jobs run once across both (advisory locks and
 * their own records in the database); both nodes' gateways carry mail.
 */
describe('two giroflee nodes on one PostgreSQL', () => {
  let ctx: TestContext;
  let stack: TestMailstack;
  let relay: FakeRelay;
  let dir: string;
  let proxies: Array<Awaited<ReturnType<typeof countingProxy>>> = [];
  const nodes: Node[] = [];
  let domain: { id: string; name: string };

  async function startNode(name: string, doveadmPort: number, lmtp: number): Promise<Node> {
    const [httpPort, outbound, reinject, zone, silent, metrics, milter, policy] = await freePorts(8);
    const dataDir = path.join(dir, name);
    fs.mkdirSync(dataDir, { mode: 0o700 });
    const child = spawn(process.execPath, [path.join(REPO, 'bin/giroflee.js'), 'serve'], {
      cwd: REPO,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: ctx.databaseUrl,
        GIROFLEE_DATA_DIR: dataDir,
        GIROFLEE_MASTER_KEY_FILE: path.join(dir, 'master.key'),
        GIROFLEE_HTTP: `127.0.0.1:${httpPort}`,
        GIROFLEE_LMTP: `127.0.0.1:${lmtp}`,
        GIROFLEE_OUTBOUND: `127.0.0.1:${outbound}`,
        GIROFLEE_REINJECT: `127.0.0.1:${reinject}`,
        GIROFLEE_DNS_ZONE_LISTEN: `127.0.0.1:${zone}`,
        // Nothing leaves loopback: DNS checks ask a port where nothing answers.
        GIROFLEE_DNS_SERVERS: `127.0.0.1:${silent}`,
        GIROFLEE_DOVECOT_LMTP: `127.0.0.1:${stack.ports.dovecotLmtp}`,
        GIROFLEE_DOVEADM: `127.0.0.1:${doveadmPort}`,
        GIROFLEE_NOTIFY_SMTP: `127.0.0.1:${relay.port}`,
        GIROFLEE_ALERT_EMAIL: '0',
        // A quota pass every 300 ms on each node: plenty of chances to run twice.
        GIROFLEE_QUOTA_CHECK_MINUTES: '0.005',
        GIROFLEE_MAILSTACK: '0',
        GIROFLEE_METRICS_LISTEN: `127.0.0.1:${metrics}`,
        GIROFLEE_SUBMISSION_MILTER: `127.0.0.1:${milter}`,
        GIROFLEE_SENDING_POLICY: `127.0.0.1:${policy}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    const node = { name, http: httpPort, lmtp, outbound, process: child, output };
    nodes.push(node);
    // A node that stops at start-up (a taken port, a bad setting) fails the wait at once.
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`exited with code ${code}`))),
    );
    exited.catch(() => undefined);
    try {
      // The gateways start after the HTTP listener: the outbound one is the last of the three.
      for (const port of [httpPort, lmtp, outbound]) await Promise.race([waitForPort(port, 120_000), exited]);
    } catch (e) {
      throw new Error(`${name} did not start: ${(e as Error).message}\n${output.join('')}`, { cause: e });
    }
    return node;
  }

  /** SIGTERM, as systemd stops it; a node still there after a generous bound is killed. */
  async function stopNode(node: Node): Promise<void> {
    if (node.process.exitCode !== null || node.process.signalCode !== null) return;
    const exited = new Promise((resolve) => node.process.once('exit', resolve));
    node.process.kill('SIGTERM');
    const timer = setTimeout(() => node.process.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-two-nodes-'));
    // One master key for both nodes, as an operator copies it to each machine.
    saveKeyring(path.join(dir, 'master.key'), ctx.keyring);
    relay = await startFakeRelay();
    await makeRelay(ctx, { name: 'smarthost', port: relay.port });
    const collective = await makeCollective(ctx);
    domain = await makeDomain(ctx, { collectiveId: collective.id });
    await makeDkimKeys(ctx, domain.id);

    const [lmtpA, lmtpB] = await freePorts(2);
    // The MX delivers to node A's gateway; node B's stands for the gateway of a second MX host.
    stack = await startTestMailstack(ctx.databaseUrl, {
      inboundTransport: 'gateway',
      gatewayLmtp: { host: '127.0.0.1', port: lmtpA },
      doveadmApiKey: await doveadmApiKey(ctx),
    });
    ctx.config = { ...ctx.config, doveadm: { host: '127.0.0.1', port: stack.ports.doveadm } };
    proxies = [await countingProxy(stack.ports.doveadm), await countingProxy(stack.ports.doveadm)];
    // One after the other: the first start applies nothing new, builds nothing, creates nothing.
    await startNode('node-a', proxies[0].port, lmtpA);
    await startNode('node-b', proxies[1].port, lmtpB);
  });

  afterAll(async () => {
    for (const node of nodes) await stopNode(node);
    for (const proxy of proxies) await proxy.close();
    await stack?.stop();
    await relay?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await ctx?.destroy();
  });

  it('both inbound gateways store encrypted mail in the one Dovecot', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id, encryptionMode: 'generated' });
    await provisionMailboxKeys(ctx, box, TEST_PASSWORD);
    // Through the real MX to node A's gateway, and over LMTP to node B's, as its MX would.
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.mx, secure: false, ignoreTLS: true })
      .sendMail({ from: 'alice@remote.example', to: box.address, subject: 'via A', text: 'secret A 1723' });
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: nodes[1].lmtp, lmtp: true, ignoreTLS: true })
      .sendMail({ from: 'bob@remote.example', to: box.address, subject: 'via B', text: 'secret B 9051' });

    const stored = await waitUntil('both messages in the mail store', () => {
      const files = storedFiles(stack.mailRoot, box.address);
      return files.length === 2 && files;
    });
    const [key] = await listMailboxKeys(ctx, box.id);
    const privateKey = await unlockKey(key.private_key!, TEST_PASSWORD, key.password_kdf!);
    const clear = await Promise.all(stored.map(async (m) => (await decryptStored(m, privateKey)).toString()));
    for (const raw of stored) expect(raw.toString('latin1')).not.toMatch(/secret [AB]/);
    expect(clear.map((c) => /secret [AB] \d+/.exec(c)?.[0]).sort()).toEqual([
      'secret A 1723',
      'secret B 9051',
    ]);
  });

  it('both outbound gateways sign and hand mail to the relay', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id });
    for (const node of nodes) {
      await nodemailer
        .createTransport({ host: '127.0.0.1', port: node.outbound, secure: false, ignoreTLS: true })
        .sendMail({
          from: box.address,
          to: 'carol@remote.example',
          subject: `out ${node.name}`,
          text: 'Bonjour.',
        });
    }
    for (const node of nodes) {
      const sent = await waitUntil(`the relay's copy from ${node.name}`, () =>
        relay.received.find((m) => m.raw.includes(`Subject: out ${node.name}`)),
      );
      expect(sent.raw).toMatch(
        new RegExp(`^DKIM-Signature:[^]*?d=${domain.name.replace(/\./g, '\\.')};`, 'm'),
      );
    }
  });

  it('runs a scheduled job once: one quota warning, though both nodes keep passing', async () => {
    const box = await makeMailbox(ctx, { domainId: domain.id, quotaBytes: 100_000 });
    // 93 KB stored straight into Dovecot: 93 % of the quota, past the 90 % warning.
    const line = `${'x'.repeat(999)}\n`;
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: stack.ports.dovecotLmtp, lmtp: true, ignoreTLS: true })
      .sendMail({ from: 'dan@remote.example', to: box.address, subject: 'gros', text: line.repeat(93) });

    const isWarning = (m: { to: string[]; raw: string }) => m.to.includes(box.address);
    await waitUntil('the quota warning', () => relay.received.some(isWarning));
    // Passes made after the warning by each node: each saw the mailbox still at 93 %.
    const seen = proxies.map((p) => p.requests);
    await waitUntil('three more quota passes by each node', () =>
      proxies.every((p, i) => p.requests >= seen[i] + 3),
    );
    expect(relay.received.filter(isWarning)).toHaveLength(1);
    const [warned] = await ctx.db('quota_warnings').where({ mailbox_id: box.id }).select('percent');
    expect(warned.percent).toBeGreaterThanOrEqual(90);
  });
});

/** The message files of one mailbox in the private stack's Maildir. */
function storedFiles(mailRoot: string, address: string): Buffer[] {
  const [local, domainName] = address.split('@');
  const out: Buffer[] = [];
  for (const sub of ['new', 'cur']) {
    const folder = path.join(mailRoot, domainName, local, 'Maildir', sub);
    if (!fs.existsSync(folder)) continue;
    for (const f of fs.readdirSync(folder)) out.push(fs.readFileSync(path.join(folder, f)));
  }
  return out;
}
