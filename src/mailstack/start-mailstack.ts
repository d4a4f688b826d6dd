import fs from 'node:fs/promises';
import path from 'node:path';
import type { Endpoint } from '../config';
import { hashPassword } from '../auth/password-hash';
import {
  compileSieve,
  dovecotRunning,
  ensureDatagramQueue,
  ensureVmailUser,
  rspamdRunning,
  flushQueue,
  postfixRunning,
  prepareNewPostfixQueue,
  queuedMessages,
  startDovecot,
  startPostfix,
  startRspamd,
  stopDovecot,
  stopPostfix,
  stopRspamd,
  systemUser,
  waitForPort,
  writeFiles,
} from './processes';
import { renderDovecot, renderSieve } from './render-dovecot';
import { publishHyperscanCache } from './hyperscan-cache';
import { renderPostfix } from './render-postfix';
import { makeSelfSignedCertificate } from './self-signed-certificate';
import { renderRspamd } from './render-rspamd';
import {
  databaseParams,
  DEFAULT_DEFENCE,
  DEFAULT_PORTS,
  DefenceSettings,
  MailstackPorts,
  MailstackSettings,
  privatePaths,
} from './settings';

export interface StartMailstackOptions {
  /** Folder holding configuration, queue, logs and the mail store. */
  dir: string;
  databaseUrl: string;
  hostname?: string;
  ports?: Partial<MailstackPorts>;
  /** `gateway` (default): Postfix → encrypting LMTP gateway → Dovecot; `dovecot`: straight to Dovecot LMTP. */
  inboundTransport?: 'gateway' | 'dovecot';
  gatewayLmtp?: Endpoint;
  /** Outbound gateway for submitted mail (content_filter); null or absent delivers directly. */
  outboundFilter?: Endpoint | null;
  /** The submission milter (src/relay/submission-milter.ts); null or absent checks no header. */
  submissionMilter?: Endpoint | null;
  reinjectPort?: number;
  /** giroflee's sending policy service (limits, suspension) for submission; absent asks none. */
  sendingPolicy?: Endpoint | null;
  /** Next hop for mail leaving the platform (a local fake MX in tests); absent holds it queued. */
  relayhost?: Endpoint;
  /** Dovecot master user for the webmail (see master-user.ts). */
  masterUser?: { user: string; password: string };
  /** Key of Dovecot's doveadm HTTP API (quota usage); without it the listener stays off. */
  doveadmApiKey?: string;
  stripUserAgent?: boolean;
  /**
   * The inbound defence (rspamd milter on the MX), when given. Its resolvers must be named
   * (`dnsServers`): a private stack never asks the system's.
   */
  defence?: Partial<DefenceSettings> & Pick<DefenceSettings, 'dnsServers'>;
  /**
   * A folder of rspamd's compiled regular expressions shared by stacks in throw-away folders
   * (tests, benches), so that only the first one compiles them (hyperscan-cache.ts).
   */
  hyperscanCache?: string;
}

export interface RunningMailstack {
  ports: MailstackPorts;
  dir: string;
  mailRoot: string;
  settings: MailstackSettings;
  /** Messages still in Postfix's queue (deferred or active). */
  queue(): ReturnType<typeof queuedMessages>;
  /** Retry deferred mail now. */
  flush(): Promise<void>;
  stop(): Promise<void>;
  /**
   * net.unix.max_dgram_qlen when Postfix started (undefined off Linux): below
   * DATAGRAM_QUEUE_LENGTH, a reload may stop Postfix for good (ensureDatagramQueue).
   */
  logQueue: number | undefined;
}

/** Renders the settings of a private stack (loopback, no DNS, no TLS) without starting it. */
export async function privateSettings(opts: StartMailstackOptions): Promise<MailstackSettings> {
  const ports: MailstackPorts = { ...DEFAULT_PORTS, ...opts.ports };
  if (opts.reinjectPort) ports.reinject = opts.reinjectPort;
  const inbound: MailstackSettings['inbound'] =
    (opts.inboundTransport ?? 'gateway') === 'gateway'
      ? { kind: 'gateway', endpoint: opts.gatewayLmtp ?? { host: '127.0.0.1', port: 10024 } }
      : { kind: 'dovecot' };
  const paths = privatePaths(opts.dir);
  return {
    profile: 'private',
    hostname: opts.hostname ?? 'mail.giroflee.test',
    listen: '127.0.0.1',
    ports,
    paths,
    database: databaseParams(opts.databaseUrl),
    inbound,
    outboundFilter: opts.outboundFilter ?? null,
    submissionMilter: opts.submissionMilter ?? null,
    sendingPolicy: opts.sendingPolicy ?? null,
    relayhost: opts.relayhost,
    stripUserAgent: opts.stripUserAgent ?? false,
    masterUser: opts.masterUser && {
      user: opts.masterUser.user,
      passwordHash: `{ARGON2ID}${await hashPassword(opts.masterUser.password)}`,
    },
    doveadmApiKey: opts.doveadmApiKey,
    tls: {
      certFile: path.join(paths.tlsDir!, 'cert.pem'),
      keyFile: path.join(paths.tlsDir!, 'key.pem'),
    },
    vmail: await ensureVmailUser(),
    defence: opts.defence ? { ...DEFAULT_DEFENCE, ...opts.defence } : null,
  };
}

/** Creates the folders a private stack needs, with the owners Postfix and Dovecot expect. */
async function prepareFolders(s: MailstackSettings, root: string): Promise<void> {
  const p = s.paths;
  // Postfix's and Dovecot's unprivileged users must traverse the root, not list it.
  await fs.mkdir(root, { recursive: true });
  await fs.chmod(root, 0o711);
  for (const d of [
    p.postfixQueueDir,
    path.dirname(p.postfixLogFile!),
    p.dovecotBaseDir,
    p.dovecotStateDir,
    p.sieveDir,
  ]) {
    await fs.mkdir(d, { recursive: true, mode: 0o755 });
  }
  await fs.mkdir(p.postfixDataDir, { recursive: true, mode: 0o700 });
  await fs.mkdir(p.mailRoot, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    const postfix = await systemUser('postfix');
    await fs.chown(p.postfixDataDir, postfix.uid, postfix.gid);
    await fs.chown(p.mailRoot, s.vmail.uid, s.vmail.gid);
    await prepareNewPostfixQueue(p.postfixQueueDir);
  }
}

/** Writes the rendered Postfix and Dovecot configuration of `s` into its folders. */
export async function writeConfiguration(s: MailstackSettings): Promise<void> {
  await writeFiles(s.paths.postfixConfigDir, renderPostfix(s), 'postfix');
  await writeFiles(path.dirname(s.paths.dovecotConfigFile), renderDovecot(s), 'dovecot');
  if (s.defence) await writeFiles(s.paths.rspamdConfigDir, renderRspamd(s), '_rspamd');
  const sieve = renderSieve(s);
  await writeFiles(s.paths.sieveDir, sieve, 'dovecot');
  // Compiled now, as root: Dovecot runs them as the mail user, who could not store the binary.
  for (const script of Object.keys(sieve).filter((name) => name.endsWith('.sieve'))) {
    await compileSieve(path.join(s.paths.sieveDir, script), s.paths.dovecotConfigFile);
  }
}

/**
 * Starts a private Postfix + Dovecot (Debian's binaries) under `opts.dir`, reading the
 * database's `mta` views. Must run as root: Postfix and Dovecot drop privileges themselves.
 */
export async function startMailstack(opts: StartMailstackOptions): Promise<RunningMailstack> {
  const s = await privateSettings(opts);
  const p = s.paths;
  await prepareFolders(s, path.resolve(opts.dir));
  await makeSelfSignedCertificate(p.tlsDir!, s.hostname);
  await writeConfiguration(s);
  const publish = () =>
    opts.hyperscanCache ? publishHyperscanCache(p.rspamdCacheDir!, opts.hyperscanCache) : Promise.resolve();
  const stop = async () => {
    await stopPostfix(p.postfixQueueDir);
    await stopDovecot(p.dovecotConfigFile, p.dovecotBaseDir);
    await stopRspamd(p.rspamdRunDir!);
    // Its helper compiles the regular expressions of its rules after the start.
    await publish();
  };
  let logQueue: number | undefined;
  try {
    // A stack left running by a killed process holds the ports and pid files: replace it.
    await stop();
    if (s.defence) {
      await startRspamd({
        configDir: p.rspamdConfigDir,
        runDir: p.rspamdRunDir!,
        logFile: p.rspamdLogFile!,
        cacheDir: p.rspamdCacheDir!,
        sharedCache: opts.hyperscanCache,
      });
      // Without a cache, compiling its regular expressions takes minutes on a busy machine.
      await waitForPort(s.ports.rspamdMilter, 180_000);
      if (s.ports.rspamdScan) await waitForPort(s.ports.rspamdScan, 180_000);
      // The public suffixes, compiled before rspamd listens, are the longest part.
      await publish();
    }
    await startDovecot(p.dovecotConfigFile, p.dovecotLogFile);
    const dovecotPorts = [
      s.ports.auth,
      s.ports.quotaStatus,
      s.ports.dovecotLmtp,
      s.ports.imap,
      s.ports.managesieve,
    ];
    if (s.doveadmApiKey) dovecotPorts.push(s.ports.doveadm);
    for (const port of dovecotPorts) {
      await waitForPort(port);
    }
    logQueue = await ensureDatagramQueue();
    await startPostfix(p.postfixConfigDir, p.postfixLogFile);
    const listening = [s.ports.mx, s.ports.submission, s.ports.submissions];
    if (s.outboundFilter) listening.push(s.ports.reinject);
    for (const port of listening) await waitForPort(port);
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
  return {
    ports: s.ports,
    dir: path.resolve(opts.dir),
    mailRoot: p.mailRoot,
    settings: s,
    queue: () => queuedMessages(p.postfixConfigDir),
    flush: () => flushQueue(p.postfixConfigDir),
    stop,
    logQueue,
  };
}

/** Whether the private stack under `dir` runs: Postfix's and Dovecot's master processes. */
export async function mailstackStatus(
  dir: string,
): Promise<{ postfix: boolean; dovecot: boolean; rspamd: boolean }> {
  const p = privatePaths(dir);
  return {
    postfix: await postfixRunning(p.postfixQueueDir),
    dovecot: await dovecotRunning(p.dovecotBaseDir),
    rspamd: await rspamdRunning(p.rspamdRunDir!),
  };
}

/** Stops the private stack under `dir`, whoever started it. */
export async function stopMailstack(dir: string): Promise<void> {
  const p = privatePaths(dir);
  await stopPostfix(p.postfixQueueDir);
  await stopDovecot(p.dovecotConfigFile, p.dovecotBaseDir);
  await stopRspamd(p.rspamdRunDir!);
}
