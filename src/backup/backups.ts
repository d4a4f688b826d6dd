import type { ServiceContext } from '../context';

/** The `backups` table, written only here: one row per complete backup. */
export interface BackupRecord {
  started_at: Date;
  finished_at: Date;
  node: string;
  target: 'directory' | 'stream';
  database_rows: number;
  mail_files: number;
  bytes: number;
}

export async function recordBackup(ctx: ServiceContext, backup: BackupRecord): Promise<void> {
  await ctx.db('backups').insert(backup);
}

/** When the last complete backup finished, if ever. */
export async function lastBackupAt(ctx: ServiceContext): Promise<Date | undefined> {
  const row = await ctx.db('backups').max('finished_at as at').first();
  return row?.at ?? undefined;
}

/** When this database was first set up (its first migration): a platform younger than a day has no backup to miss yet. */
export async function installedAt(ctx: ServiceContext): Promise<Date | undefined> {
  const row = await ctx.db('knex_migrations').min('migration_time as at').first();
  return row?.at ?? undefined;
}
