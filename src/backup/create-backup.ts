import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { AppContext } from '../context';
import { appliedMigrationNames } from '../db/knex';
import { errors } from '../errors';
import { logger } from '../logger';
import { recordBackup } from './backups';
import { dumpDatabase } from './database-copy';
import { addMailStore } from './mail-store';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  DATABASE_DIR,
  MAIL_MANIFEST,
  MANIFEST,
  type Manifest,
} from './manifest';
import { mailRootOf } from './paths';
import { DirSink, TarSink, type BackupSink } from './sink';

export type BackupTarget = { dir: string } | { stream: Writable };

export interface BackupSummary {
  target: 'directory' | 'stream';
  tables: number;
  databaseRows: number;
  mailFiles: number;
  bytes: number;
}

/** A directory target must be new or empty: a backup is never mixed with an older one. */
async function emptyDirectory(dir: string): Promise<void> {
  const entries = await fsp.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw e;
  });
  if (entries.length) {
    throw errors.conflict(
      'backup_target_not_empty',
      {
        fr: `Le dossier ${dir} n’est pas vide : donnez un dossier neuf (ou videz celui-ci) pour chaque sauvegarde.`,
        en: `The folder ${dir} is not empty: give a new folder (or empty this one) for each backup.`,
      },
      { dir },
    );
  }
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * `giroflee backup`: the database (one snapshot), the mail store and their manifests, into a
 * directory or a tar stream, and a row in `backups` once complete. Never the master key.
 */
export async function createBackup(ctx: AppContext, target: BackupTarget): Promise<BackupSummary> {
  const startedAt = ctx.now();
  let sink: BackupSink;
  let staging: string;
  let cleanup = async () => undefined as void;
  if ('dir' in target) {
    await emptyDirectory(target.dir);
    sink = new DirSink(target.dir);
    staging = path.join(target.dir, DATABASE_DIR);
  } else {
    sink = new TarSink(target.stream);
    // The tables are staged (a tar member needs its size first) in a private temporary folder.
    const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'giroflee-backup-'));
    staging = tmp;
    cleanup = () => fsp.rm(tmp, { recursive: true, force: true });
  }
  try {
    const migrations = await appliedMigrationNames(ctx.db);
    const database = await dumpDatabase(ctx.db, staging);
    if (sink.target === 'stream') {
      for (const t of database.tables) await sink.addFile(`${DATABASE_DIR}/${t.file}`, t.path);
    } else {
      sink.bytes += database.tables.reduce((n, t) => n + t.bytes, 0);
    }
    const mail = await addMailStore(mailRootOf(ctx.config), sink);
    const mailManifest = Buffer.from(mail.files.map((f) => JSON.stringify(f) + '\n').join(''));
    await sink.addBuffer(MAIL_MANIFEST, mailManifest);
    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: startedAt.toISOString(),
      node: ctx.config.monitor.nodeName,
      migrations,
      tables: database.tables.map(({ path: _path, ...t }) => t),
      mail: {
        files: mail.files.length,
        bytes: mail.bytes,
        manifest: MAIL_MANIFEST,
        sha256: crypto.createHash('sha256').update(mailManifest).digest('hex'),
      },
      masterKeyIds: database.masterKeyIds,
    };
    await sink.addBuffer(MANIFEST, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    await sink.finish();
    const summary: BackupSummary = {
      target: sink.target,
      tables: manifest.tables.length,
      databaseRows: manifest.tables.reduce((n, t) => n + t.rows, 0),
      mailFiles: mail.files.length,
      bytes: sink.bytes,
    };
    await recordBackup(ctx, {
      started_at: startedAt,
      finished_at: ctx.now(),
      node: ctx.config.monitor.nodeName,
      target: summary.target,
      database_rows: summary.databaseRows,
      mail_files: summary.mailFiles,
      bytes: summary.bytes,
    });
    logger.info({ ...summary }, 'backup written');
    return summary;
  } finally {
    await cleanup();
  }
}
