import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import tar from 'tar-stream';
import type { Config } from '../config';
import { migrateLatest, migrateTo } from '../db/knex';
import type { Keyring } from '../encryption/master-key';
import { AppError, errors } from '../errors';
import { logger } from '../logger';
import { systemUser } from '../mailstack/processes';
import { loadDatabase, nonEmptyTables } from './database-copy';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  DATABASE_DIR,
  MAIL_DIR,
  MAIL_MANIFEST,
  MANIFEST,
  type MailFileEntry,
  type Manifest,
} from './manifest';
import { mailRootOf } from './paths';
import { hashFile, type Added } from './sink';

export type RestoreSource = { dir: string } | { stream: Readable };

export interface RestoreSummary {
  createdAt: string;
  tables: number;
  databaseRows: number;
  mailFiles: number;
  mailRoot: string;
}

const broken = (what: string, details?: unknown) =>
  new AppError(
    422,
    'backup_damaged',
    {
      fr: `La sauvegarde est abîmée ou incomplète : ${what}. Rien n’a été restauré.`,
      en: `The backup is damaged or incomplete: ${what}. Nothing was restored.`,
    },
    details,
  );

/** A name from the backup, checked to stay inside the folder it is written to. */
function safeRelative(name: string): string {
  const normal = path.posix.normalize(name);
  if (path.posix.isAbsolute(normal) || normal.startsWith('../') || normal === '..' || normal.includes('\0')) {
    throw broken(`a file name leaves the backup (${JSON.stringify(name)})`);
  }
  return normal;
}

async function readJson<T>(file: string, what: string): Promise<T> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch {
    throw broken(`${what} is missing or unreadable`);
  }
}

/** Writes a stream into `dest`, creating its folder, and hashes it. */
async function writeHashed(source: Readable, dest: string, mode: number, mtime?: Date): Promise<Added> {
  await fsp.mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
  const hash = crypto.createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(source, tap, fs.createWriteStream(dest, { mode: mode & 0o777 }));
  if (mtime) await fsp.utimes(dest, mtime, mtime);
  return { size, sha256: hash.digest('hex') };
}

/**
 * Unpacks a tar stream: the mail into `mailDir`, the rest into `stagingDir`. Returns what each
 * mail file turned out to be, to be checked against the manifest, which comes last.
 */
async function unpack(stream: Readable, stagingDir: string, mailDir: string): Promise<Map<string, Added>> {
  const mail = new Map<string, Added>();
  const extract = tar.extract();
  extract.on('entry', (header, entry, next) => {
    const done = (e?: unknown) => (e ? next(e as Error) : next());
    try {
      const name = safeRelative(header.name);
      if (header.type !== 'file') {
        entry.resume();
        return entry.once('end', () => done());
      }
      const mode = header.mode ?? 0o600;
      if (name.startsWith(`${MAIL_DIR}/`)) {
        const rel = name.slice(MAIL_DIR.length + 1);
        writeHashed(entry as unknown as Readable, path.join(mailDir, rel), mode, header.mtime).then((a) => {
          mail.set(rel, a);
          done();
        }, done);
      } else {
        writeHashed(entry as unknown as Readable, path.join(stagingDir, name), 0o600).then(
          () => done(),
          done,
        );
      }
    } catch (e) {
      entry.resume();
      done(e);
    }
  });
  await pipeline(stream, new PassThrough(), extract);
  return mail;
}

/** Copies the mail files of a backup folder into `mailDir`, hashing them on the way. */
async function copyMail(
  fromDir: string,
  entries: MailFileEntry[],
  mailDir: string,
): Promise<Map<string, Added>> {
  const mail = new Map<string, Added>();
  for (const f of entries) {
    const rel = safeRelative(f.path);
    const source = path.join(fromDir, MAIL_DIR, rel);
    const st = await fsp.stat(source).catch(() => {
      throw broken(`mail file ${rel} is missing`);
    });
    mail.set(rel, await writeHashed(fs.createReadStream(source), path.join(mailDir, rel), st.mode, st.mtime));
  }
  return mail;
}

async function checkManifest(dir: string): Promise<{ manifest: Manifest; mailFiles: MailFileEntry[] }> {
  const manifest = await readJson<Manifest>(path.join(dir, MANIFEST), MANIFEST);
  if (manifest.format !== BACKUP_FORMAT || manifest.version !== BACKUP_VERSION) {
    throw broken(`${MANIFEST} is not a giroflee backup of version ${BACKUP_VERSION}`);
  }
  for (const t of manifest.tables) {
    const got = await hashFile(path.join(dir, DATABASE_DIR, safeRelative(t.file))).catch(() => undefined);
    if (!got || got.sha256 !== t.sha256) throw broken(`table ${t.name} does not match its checksum`);
  }
  const mailManifest = path.join(dir, MAIL_MANIFEST);
  const got = await hashFile(mailManifest).catch(() => undefined);
  if (!got || got.sha256 !== manifest.mail.sha256)
    throw broken(`${MAIL_MANIFEST} does not match its checksum`);
  const mailFiles = (await fsp.readFile(mailManifest, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MailFileEntry);
  return { manifest, mailFiles };
}

function checkMail(expected: MailFileEntry[], got: Map<string, Added>): void {
  const bad = expected.filter(
    (f) => got.get(f.path)?.sha256 !== f.sha256 || got.get(f.path)?.size !== f.size,
  );
  const extra = [...got.keys()].filter((p) => !expected.some((f) => f.path === p));
  if (bad.length || extra.length) {
    throw broken('mail files do not match the manifest', {
      mismatched: bad.slice(0, 20).map((f) => f.path),
      unexpected: extra.slice(0, 20),
    });
  }
}

/** The restored mail store belongs to the user Dovecot writes as, like one it made itself. */
async function giveToVmail(root: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const vmail = await systemUser('vmail').catch(() => undefined);
  if (!vmail) {
    logger.warn({ mailRoot: root }, 'no vmail user: create it and chown the mail store to it');
    return;
  }
  const walk = async (p: string): Promise<void> => {
    await fsp.lchown(p, vmail.uid, vmail.gid);
    if (!(await fsp.lstat(p)).isDirectory()) return;
    for (const e of await fsp.readdir(p)) await walk(path.join(p, e));
  };
  await walk(root);
}

/**
 * `giroflee restore`: a backup into an empty database and an empty mail store, on a fresh
 * machine. Checks everything before it changes anything it cannot take back: the checksums,
 * that the master key (kept apart from backups) opens the secrets, that nothing is overwritten.
 * Then migrates the database to the backup's schema, loads the rows, migrates to this version,
 * and puts the mail in place.
 */
export async function restoreBackup(
  ctx: { db: Knex; config: Config; keyring: Keyring | undefined },
  source: RestoreSource,
): Promise<RestoreSummary> {
  const mailRoot = mailRootOf(ctx.config);
  const filled = await nonEmptyTables(ctx.db);
  if (filled.length) {
    throw errors.conflict(
      'restore_target_not_empty',
      {
        fr: 'La base de données n’est pas vide : une restauration ne remplace rien. Partez d’un dossier de données neuf (ou d’une base vide).',
        en: 'The database is not empty: a restore replaces nothing. Start from a new data folder (or an empty database).',
      },
      { tables: filled },
    );
  }
  if ((await fsp.readdir(mailRoot).catch(() => [])).length) {
    throw errors.conflict(
      'restore_target_not_empty',
      {
        fr: `Le stockage du courrier ${mailRoot} n’est pas vide : une restauration ne remplace rien.`,
        en: `The mail store ${mailRoot} is not empty: a restore replaces nothing.`,
      },
      { mailRoot },
    );
  }

  // Everything lands beside the mail store first (same file system: the final move is a rename).
  const staging = `${mailRoot}.restoring-${process.pid}`;
  await fsp.rm(staging, { recursive: true, force: true });
  await fsp.mkdir(staging, { recursive: true, mode: 0o700 });
  try {
    const mailDir = path.join(staging, MAIL_DIR);
    let dir = staging;
    let mail: Map<string, Added> | undefined;
    if ('stream' in source) mail = await unpack(source.stream, staging, mailDir);
    else dir = source.dir;
    const { manifest, mailFiles } = await checkManifest(dir);
    mail ??= await copyMail(dir, mailFiles, mailDir);
    checkMail(mailFiles, mail);

    const missing = manifest.masterKeyIds.filter((id) => !ctx.keyring?.find(id));
    if (missing.length) {
      throw new AppError(
        422,
        'master_key_missing',
        {
          fr: `Les secrets de la sauvegarde (clés DKIM, mots de passe des relais, TOTP) demandent la clé maîtresse ${missing.join(', ')}, absente de ${ctx.config.masterKeyFile}. Copiez-y le fichier master.key gardé à part des sauvegardes, puis relancez. Rien n’a été restauré.`,
          en: `The backup's secrets (DKIM keys, relay passwords, TOTP) need master key ${missing.join(', ')}, which ${ctx.config.masterKeyFile} lacks. Copy there the master.key kept apart from backups, then run again. Nothing was restored.`,
        },
        { missing, masterKeyFile: ctx.config.masterKeyFile },
      );
    }

    await migrateTo(ctx.db, manifest.migrations);
    await loadDatabase(ctx.db, path.join(dir, DATABASE_DIR), manifest.tables);
    await migrateLatest(ctx.db);

    await fsp.mkdir(mailDir, { recursive: true, mode: 0o700 });
    await fsp.rm(mailRoot, { recursive: true, force: true });
    await fsp.mkdir(path.dirname(mailRoot), { recursive: true });
    await fsp.rename(mailDir, mailRoot);
    await giveToVmail(mailRoot);
    const summary: RestoreSummary = {
      createdAt: manifest.createdAt,
      tables: manifest.tables.length,
      databaseRows: manifest.tables.reduce((n, t) => n + t.rows, 0),
      mailFiles: mailFiles.length,
      mailRoot,
    };
    logger.info({ ...summary }, 'backup restored');
    return summary;
  } finally {
    await fsp.rm(staging, { recursive: true, force: true });
  }
}
