import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureSystemUser, systemUserIds } from '../system/folder-access';
import { seedHyperscanCache } from './hyperscan-cache';
import type { RenderedFiles } from './render-postfix';

const run = promisify(execFile);

export class MailstackError extends Error {}

export async function systemUser(name: string): Promise<{ user: string; uid: number; gid: number }> {
  const uid = await run('id', ['-u', name]).then((r) => Number(r.stdout.trim()));
  const gid = await run('id', ['-g', name]).then((r) => Number(r.stdout.trim()));
  return { user: name, uid, gid };
}

/** The system user owning the mail store; created (as a system user) when missing and root. */
export async function ensureVmailUser(name = 'vmail'): Promise<{ user: string; uid: number; gid: number }> {
  if (!systemUserIds(name) && process.getuid?.() !== 0) {
    throw new MailstackError(
      `system user "${name}" is missing; create it as root (useradd --system ${name})`,
    );
  }
  return { user: name, ...ensureSystemUser(name) };
}

async function groupId(name: string): Promise<number> {
  const { stdout } = await run('getent', ['group', name]);
  return Number(stdout.split(':')[2]);
}

/** Writes rendered files, owned by root and readable by `group` where the mode allows it. */
export async function writeFiles(dir: string, files: RenderedFiles, group: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const gid = process.getuid?.() === 0 ? await groupId(group) : undefined;
  for (const [name, { content, mode }] of Object.entries(files)) {
    const file = path.join(dir, name);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await fs.writeFile(file, content, { mode });
    await fs.chmod(file, mode);
    if (gid !== undefined) await fs.chown(file, 0, gid);
  }
}

/**
 * Runs a command that starts a daemon. The daemon inherits the child's stdio, so waiting for
 * the pipes to close (execFile) would wait for the daemon's end: wait for the exit instead.
 */
function runStarter(command: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      child.stderr.destroy();
      resolve({ code, stderr });
    });
  });
}

async function tail(file: string | undefined, lines = 15): Promise<string> {
  if (!file) return '';
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 15000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new MailstackError(`nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pidAlive(pidFile: string): Promise<number | undefined> {
  const text = await fs.readFile(pidFile, 'utf8').catch(() => null);
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function waitGone(pidFile: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await pidAlive(pidFile)) {
    if (Date.now() > deadline) throw new MailstackError(`process of ${pidFile} did not stop`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const postfixPidFile = (queueDir: string) => path.join(queueDir, 'pid', 'master.pid');
export const dovecotPidFile = (baseDir: string) => path.join(baseDir, 'master.pid');

/** Starts a daemon that forks itself; when it fails, the end of its log says why. */
async function startDaemon(command: string, args: string[], logFile?: string): Promise<void> {
  const { code, stderr } = await runStarter(command, args);
  if (code !== 0) {
    throw new MailstackError(
      `${command} did not start: ${stderr.trim() || 'no message'}\n${await tail(logFile)}`,
    );
  }
}

/** Asks a running daemon to stop and waits until its process is gone. */
async function stopDaemon(pidFile: string, command: string, args: string[]): Promise<void> {
  if (!(await pidAlive(pidFile))) return;
  await run(command, args).catch(() => undefined);
  await waitGone(pidFile);
}

/** Postfix's queue folders: name, mode, and whether the `postdrop` group owns it (postfix-files). */
const QUEUE_FOLDERS: Array<[string, number, boolean?]> = [
  ...[
    'active',
    'bounce',
    'corrupt',
    'defer',
    'deferred',
    'flush',
    'hold',
    'incoming',
    'private',
    'saved',
    'trace',
  ].map((name): [string, number] => [name, 0o700]),
  ['maildrop', 0o730, true],
  ['public', 0o710, true],
];

/**
 * Makes a new, empty Postfix queue as `postfix start` would (the entries of Debian's
 * /etc/postfix/postfix-files), and leaves Postfix's own `quick-start` marker (the one
 * `postfix quick-stop` leaves) so that the first start skips its integrity checks: they run
 * post-install, postconf and find a few dozen times, about 2 s of CPU per start (20 s of wall
 * time on a loaded machine) to check a queue made a moment before. A queue that exists already
 * is left alone, and its stack starts with every check. As root only.
 */
export async function prepareNewPostfixQueue(queueDir: string): Promise<void> {
  if (await fs.stat(path.join(queueDir, 'active')).catch(() => null)) return;
  const postfix = await systemUser('postfix');
  const postdrop = await groupId('postdrop');
  for (const [name, mode, dropGroup] of QUEUE_FOLDERS) {
    const dir = path.join(queueDir, name);
    await fs.mkdir(dir, { recursive: true });
    await fs.chown(dir, postfix.uid, dropGroup ? postdrop : 0);
    await fs.chmod(dir, mode);
  }
  await fs.mkdir(path.join(queueDir, 'pid'), { recursive: true, mode: 0o755 });
  await fs.writeFile(path.join(queueDir, 'quick-start'), '');
}

/** Linux's length of a UNIX datagram socket's queue, read by the kernel when a socket is made. */
export const DATAGRAM_QUEUE_SETTING = '/proc/sys/net/unix/max_dgram_qlen';
/** What systemd sets at boot on a Debian host; the kernel's own default, kept by containers, is 10. */
export const DATAGRAM_QUEUE_LENGTH = 512;

/**
 * The private stack's Postfix logs through postlogd, over a UNIX datagram socket, and every
 * Postfix process sends its log lines there with a blocking send(2): once the socket holds
 * net.unix.max_dgram_qlen lines, each process waits for postlogd, the master included. After a
 * `postfix reload`, postlogd exits and only the master starts it again; with a queue of 10, a
 * master that logs before it did waits for good, and the MX never greets anyone again. Raised
 * to Debian's usual length (never lowered) before Postfix makes its socket. Returns the length
 * in effect, or undefined where the setting does not exist.
 */
export async function ensureDatagramQueue(setting = DATAGRAM_QUEUE_SETTING): Promise<number | undefined> {
  const current = Number((await fs.readFile(setting, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(current) || current <= 0) return undefined;
  if (current >= DATAGRAM_QUEUE_LENGTH) return current;
  try {
    await fs.writeFile(setting, String(DATAGRAM_QUEUE_LENGTH));
    return DATAGRAM_QUEUE_LENGTH;
  } catch {
    // Not root, or /proc/sys mounted read-only (a container's default): the caller warns.
    return current;
  }
}

/** What a racine must do when the queue stayed short, in English and French; undefined when it is long enough. */
export function datagramQueueWarning(length: number | undefined): string | undefined {
  if (length === undefined || length >= DATAGRAM_QUEUE_LENGTH) return undefined;
  const fix = `sysctl -w net.unix.max_dgram_qlen=${DATAGRAM_QUEUE_LENGTH}`;
  return (
    `net.unix.max_dgram_qlen is ${length}: a \`postfix reload\` may stop the MX for good; run \`${fix}\` as root, then restart the mail stack / ` +
    `net.unix.max_dgram_qlen vaut ${length} : un \`postfix reload\` peut arrêter le MX pour de bon ; lancez \`${fix}\` en root, puis redémarrez la pile mail`
  );
}

/**
 * `postfix -c DIR start` must run as root (it drops privileges itself) and exits 1 without a
 * word when stderr is no terminal: on failure, the reason is in its log.
 */
export const startPostfix = (configDir: string, logFile?: string): Promise<void> =>
  startDaemon('postfix', ['-c', configDir, 'start'], logFile);

/**
 * What `postfix stop` does (postfix-script: SIGTERM to the master, which ends its children),
 * without its pauses: it checks the master once right after the signal and then sleeps a whole
 * second between checks, so every stop took at least a second. Like it, ends the master's
 * process group with SIGKILL when the master outlives its bound.
 */
export async function stopPostfix(queueDir: string): Promise<void> {
  const pidFile = postfixPidFile(queueDir);
  const pid = await pidAlive(pidFile);
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  try {
    await waitGone(pidFile, 10_000);
  } catch {
    process.kill(-pid, 'SIGKILL');
    await waitGone(pidFile);
  }
}

export const startDovecot = (configFile: string, logFile?: string): Promise<void> =>
  startDaemon('dovecot', ['-c', configFile], logFile);

export const stopDovecot = (configFile: string, baseDir: string): Promise<void> =>
  stopDaemon(dovecotPidFile(baseDir), 'doveadm', ['-c', configFile, 'stop']);

export async function postfixRunning(queueDir: string): Promise<boolean> {
  return (await pidAlive(postfixPidFile(queueDir))) !== undefined;
}

export async function dovecotRunning(baseDir: string): Promise<boolean> {
  return (await pidAlive(dovecotPidFile(baseDir))) !== undefined;
}

/** Messages waiting in Postfix's queue (`postqueue -j`: one JSON object a line). */
export async function queuedMessages(configDir: string): Promise<
  Array<{
    queue_id: string;
    queue_name: string;
    /** `delay_reason`: the last answer for a recipient that was tried and deferred. */
    recipients: Array<{ address: string; delay_reason?: string }>;
  }>
> {
  const { stdout } = await run('postqueue', ['-c', configDir, '-j']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Asks Postfix to retry every deferred message now. */
export async function flushQueue(configDir: string): Promise<void> {
  await run('postqueue', ['-c', configDir, '-f']);
}

export const rspamdPidFile = (runDir: string) => path.join(runDir, 'rspamd.pid');

/**
 * Starts rspamd with giroflee's top-level file and local folder; Debian's /etc/rspamd provides
 * the stock rules ($CONFDIR). It binds its loopback ports as root, then runs as `_rspamd`.
 */
export async function startRspamd(opts: {
  configDir: string;
  runDir: string;
  logFile: string;
  /** Its own Hyperscan cache, and one shared with other stacks to seed it (hyperscan-cache.ts). */
  cacheDir: string;
  sharedCache?: string;
}): Promise<void> {
  const owner = await systemUser('_rspamd');
  for (const dir of [opts.runDir, opts.cacheDir]) {
    await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    await fs.chown(dir, owner.uid, owner.gid);
  }
  if (opts.sharedCache) await seedHyperscanCache(opts.sharedCache, opts.cacheDir);
  await fs.writeFile(opts.logFile, '', { flag: 'a' });
  await fs.chown(opts.logFile, owner.uid, owner.gid);
  const { code, stderr } = await runStarter('rspamd', [
    '-c',
    path.join(opts.configDir, 'rspamd.conf'),
    '-u',
    owner.user,
    '-g',
    owner.user,
    `--var=LOCAL_CONFDIR=${opts.configDir}`,
    `--var=DBDIR=${opts.runDir}`,
    `--var=RUNDIR=${opts.runDir}`,
    `--var=LOGDIR=${path.dirname(opts.logFile)}`,
  ]);
  if (code !== 0) {
    throw new MailstackError(
      `rspamd did not start: ${stderr.trim() || 'no message'}\n${await tail(opts.logFile)}`,
    );
  }
}

export async function stopRspamd(runDir: string): Promise<void> {
  const pid = await pidAlive(rspamdPidFile(runDir));
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  await waitGone(rspamdPidFile(runDir));
}

export async function rspamdRunning(runDir: string): Promise<boolean> {
  return (await pidAlive(rspamdPidFile(runDir))) !== undefined;
}

/** Compiles a Sieve script next to itself (`.svbin`), so that Dovecot only has to read it. */
export async function compileSieve(file: string, dovecotConfig: string): Promise<void> {
  await run('sievec', ['-c', dovecotConfig, file]);
}
