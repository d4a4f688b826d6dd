/**
 * The layout of a backup, the same in a directory and in a tar stream:
 *
 *   database/<table>.copy   each table in PostgreSQL's COPY text format, from one snapshot
 *   mail/<path>             the mail store's files (ciphertext for encrypted mailboxes)
 *   mail-manifest.ndjson    one line per mail file: path, size, SHA-256
 *   manifest.json           what is in it (written last: it holds the checksums of the rest)
 *
 * The master key is never in it: it must be kept apart, so a stolen backup opens no secret.
 */
export const BACKUP_FORMAT = 'giroflee-backup';
export const BACKUP_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const MAIL_MANIFEST = 'mail-manifest.ndjson';
export const DATABASE_DIR = 'database';
export const MAIL_DIR = 'mail';

export interface TableEntry {
  name: string;
  columns: string[];
  rows: number;
  file: string;
  bytes: number;
  sha256: string;
}

export interface MailFileEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  createdAt: string;
  node: string;
  /** The schema the tables fit: restore migrates an empty database to exactly these first. */
  migrations: string[];
  tables: TableEntry[];
  mail: { files: number; bytes: number; manifest: string; sha256: string };
  /** Ids (never the keys) of the master keys the database's secrets need. */
  masterKeyIds: string[];
}

/**
 * Traffic data and what a restore makes again: sessions and failed-login counters are not
 * worth keeping (they are forgotten after a week anyway); the migrations' bookkeeping is
 * replaced by the list above.
 */
export const EXCLUDED_TABLES = ['knex_migrations', 'knex_migrations_lock', 'sessions', 'login_throttle'];

/**
 * Dovecot's index and cache files are rebuilt from the messages on first access; leaving them
 * out keeps the backup to files that do not change once written.
 */
export const isRebuiltByDovecot = (name: string): boolean => /^dovecot(\.list)?\.index/.test(name);
