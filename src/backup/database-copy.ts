import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { wrappedColumns } from '../encryption/wrapped-columns';
import { hashFile } from './sink';
import { EXCLUDED_TABLES, type TableEntry } from './manifest';

/**
 * The database as data, table by table in PostgreSQL's COPY text format, rather than pg_dump:
 * the embedded cluster (PostgreSQL 17) and Debian's server (15) differ, pg_dump refuses a newer
 * server, and the schema is the migrations' anyway. A restore migrates an empty database to the
 * backup's migrations, then loads the rows.
 */

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Runs `fn` on one connection of the pool (what COPY needs), given back afterwards. */
async function withConnection<T>(db: Knex, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = (await db.client.acquireConnection()) as pg.Client;
  try {
    return await fn(client);
  } finally {
    await db.client.releaseConnection(client);
  }
}

/** The tables giroflee's migrations made (public schema), with their stored columns in order. */
async function tablesOf(client: pg.Client): Promise<Array<{ name: string; columns: string[] }>> {
  const { rows } = await client.query<{ table_name: string; columns: string[] }>(`
    SELECT c.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position) AS columns
    FROM information_schema.columns c
    JOIN information_schema.tables t USING (table_schema, table_name)
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.is_generated = 'NEVER'
    GROUP BY c.table_name ORDER BY c.table_name`);
  return rows
    .filter((r) => !EXCLUDED_TABLES.includes(r.table_name))
    .map((r) => ({ name: r.table_name, columns: r.columns }));
}

/** Master-key ids the wrapped secrets use (envelopes are `v1:<keyId>:…`). */
async function masterKeyIdsIn(client: pg.Client, tables: Set<string>): Promise<string[]> {
  const ids = new Set<string>();
  for (const w of wrappedColumns()) {
    if (!tables.has(w.table)) continue;
    const { rows } = await client.query<{ id: string }>(
      `SELECT DISTINCT split_part(${ident(w.column)}, ':', 2) AS id FROM public.${ident(w.table)} WHERE ${ident(w.column)} IS NOT NULL`,
    );
    for (const r of rows) ids.add(r.id);
  }
  return [...ids].sort();
}

/**
 * Writes every table into `dir` from one snapshot (REPEATABLE READ, read only), so rows that
 * refer to each other are from the same moment. Returns the tables and the master-key ids.
 */
export async function dumpDatabase(
  db: Knex,
  dir: string,
): Promise<{ tables: Array<TableEntry & { path: string }>; masterKeyIds: string[] }> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  return withConnection(db, async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const tables = await tablesOf(client);
      const out: Array<TableEntry & { path: string }> = [];
      for (const t of tables) {
        const file = path.join(dir, `${t.name}.copy`);
        const copy = client.query(
          copyTo(`COPY public.${ident(t.name)} (${t.columns.map(ident).join(', ')}) TO STDOUT`),
        );
        await pipeline(copy, fs.createWriteStream(file, { mode: 0o600 }));
        const { size, sha256 } = await hashFile(file);
        out.push({ ...t, rows: copy.rowCount, file: `${t.name}.copy`, bytes: size, sha256, path: file });
      }
      const masterKeyIds = await masterKeyIdsIn(client, new Set(tables.map((t) => t.name)));
      await client.query('COMMIT');
      return { tables: out, masterKeyIds };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  });
}

/** Tables in an order where each comes after the tables its foreign keys point to. */
async function loadOrder(client: pg.Client, names: string[]): Promise<string[]> {
  const { rows } = await client.query<{ child: string; parent: string }>(`
    SELECT ch.relname AS child, pa.relname AS parent
    FROM pg_constraint c
    JOIN pg_class ch ON ch.oid = c.conrelid
    JOIN pg_class pa ON pa.oid = c.confrelid
    JOIN pg_namespace n ON n.oid = ch.relnamespace
    WHERE c.contype = 'f' AND n.nspname = 'public'`);
  const parents = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  for (const r of rows) if (r.child !== r.parent) parents.get(r.child)?.add(r.parent);
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (placed.has(name)) return;
    if (path.includes(name)) throw new Error(`foreign keys form a cycle: ${[...path, name].join(' → ')}`);
    for (const p of parents.get(name) ?? []) if (parents.has(p)) visit(p, [...path, name]);
    placed.add(name);
    ordered.push(name);
  };
  for (const n of names) visit(n, []);
  return ordered;
}

/** Tables of the target that already hold rows: a restore only goes into an empty database. */
export async function nonEmptyTables(db: Knex): Promise<string[]> {
  return withConnection(db, async (client) => {
    const found: string[] = [];
    for (const t of await tablesOf(client)) {
      const { rows } = await client.query(`SELECT 1 FROM public.${ident(t.name)} LIMIT 1`);
      if (rows.length) found.push(t.name);
    }
    return found;
  });
}

/**
 * Loads the tables from `dir` in one transaction, parents first, then moves each sequence past
 * the highest id it gave out (COPY does not touch sequences).
 */
export async function loadDatabase(db: Knex, dir: string, tables: TableEntry[]): Promise<void> {
  await withConnection(db, async (client) => {
    await client.query('BEGIN');
    try {
      const byName = new Map(tables.map((t) => [t.name, t]));
      for (const name of await loadOrder(client, [...byName.keys()])) {
        const t = byName.get(name)!;
        const copy = client.query(
          copyFrom(`COPY public.${ident(t.name)} (${t.columns.map(ident).join(', ')}) FROM STDIN`),
        );
        await pipeline(fs.createReadStream(path.join(dir, t.file)), copy);
      }
      const { rows } = await client.query<{ seq: string; tbl: string; col: string }>(`
        SELECT s.relname AS seq, t.relname AS tbl, a.attname AS col
        FROM pg_class s
        JOIN pg_namespace n ON n.oid = s.relnamespace
        JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE s.relkind = 'S' AND n.nspname = 'public'`);
      for (const r of rows) {
        if (!byName.has(r.tbl)) continue;
        const max = `(SELECT max(${ident(r.col)}) FROM public.${ident(r.tbl)})`;
        await client.query(
          `SELECT setval('public.${ident(r.seq)}', COALESCE(${max}, 1), ${max} IS NOT NULL)`,
        );
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  });
}
