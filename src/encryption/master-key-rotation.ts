import fs from 'node:fs';
import type { Knex } from 'knex';
import { runInTransaction } from '../db/transaction';
import { AppError } from '../errors';
import { envelopeContext, envelopeKeyId, unwrapSecret, wrapSecret } from './envelope';
import { Keyring, saveKeyring } from './master-key';
import { WrappedColumn, wrappedColumns } from './wrapped-columns';

export interface RotationProgress {
  column: string;
  done: number;
  total: number;
}

export interface RotationResult {
  keyId: string;
  /** True when an interrupted rotation was finished rather than a new key added. */
  continued: boolean;
  rewrapped: number;
  /** Keys no envelope uses any more: they may be retired. */
  retirable: string[];
}

const ENVELOPE_PATTERN = '^v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:';

const stopped = (code: string, fr: string, en: string, details?: unknown) =>
  new AppError(409, code, { fr, en }, details);

/** The registered envelope columns that exist in this database (a table may come with a later migration). */
export async function existingColumns(db: Knex): Promise<WrappedColumn[]> {
  const cols = wrappedColumns();
  const { rows } = await db.raw(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`,
  );
  const present = new Set(
    rows.map((r: { table_name: string; column_name: string }) => `${r.table_name}.${r.column_name}`),
  );
  return cols.filter((c) => present.has(`${c.table}.${c.column}`) && present.has(`${c.table}.${c.idColumn}`));
}

/**
 * Text columns that hold envelopes but that no module registered: a rotation would leave them
 * behind, and retiring their key would make them unreadable, so both refuse to go on.
 */
async function unregisteredEnvelopeColumns(db: Knex, keyIdPattern = '[0-9a-f]{8}'): Promise<string[]> {
  const registered = new Set(wrappedColumns().map((c) => `${c.table}.${c.column}`));
  const { rows } = await db.raw(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
        AND c.data_type IN ('text', 'character varying')`,
  );
  const found: string[] = [];
  for (const r of rows as Array<{ table_name: string; column_name: string }>) {
    const name = `${r.table_name}.${r.column_name}`;
    if (registered.has(name)) continue;
    const hit = await db.raw(`SELECT 1 FROM ?? WHERE ?? ~ ? LIMIT 1`, [
      r.table_name,
      r.column_name,
      ENVELOPE_PATTERN.replace('[0-9a-f]{8}', keyIdPattern),
    ]);
    if (hit.rows.length) found.push(name);
  }
  return found;
}

function notOn(keyId: string) {
  return `NOT LIKE 'v1:${keyId}:%'`;
}

async function pendingCount(
  db: Knex,
  cols: WrappedColumn[],
  keyId: string,
): Promise<Map<WrappedColumn, number>> {
  const out = new Map<WrappedColumn, number>();
  for (const c of cols) {
    const [{ n }] = (
      await db.raw(`SELECT count(*)::int AS n FROM ?? WHERE ?? IS NOT NULL AND ?? ${notOn(keyId)}`, [
        c.table,
        c.column,
        c.column,
      ])
    ).rows;
    out.set(c, n);
  }
  return out;
}

async function keysInUse(db: Knex, cols: WrappedColumn[]): Promise<Set<string>> {
  const used = new Set<string>();
  for (const c of cols) {
    const { rows } = await db.raw(
      `SELECT DISTINCT split_part(??, ':', 2) AS key_id FROM ?? WHERE ?? IS NOT NULL`,
      [c.column, c.table, c.column],
    );
    for (const r of rows as Array<{ key_id: string }>) used.add(r.key_id);
  }
  return used;
}

/**
 * `giroflee keys rotate-master`: adds a master key and re-wraps every registered envelope
 * column with it, in batches of one transaction each. Resumable: the key id inside each
 * envelope says whether it is done, so a second run after an interruption adds no key and
 * re-wraps only what is left; nothing is wrapped twice. A secret that does not open stops the
 * run, named, with everything before it committed.
 */
export async function rotateMasterKey(
  db: Knex,
  keyringFile: string,
  opts: { batchSize?: number; onProgress?: (p: RotationProgress) => void } = {},
): Promise<RotationResult> {
  const batchSize = opts.batchSize ?? 500;
  let keyring = Keyring.parse(fs.readFileSync(keyringFile, 'utf8'), keyringFile);
  const cols = await existingColumns(db);
  const strays = await unregisteredEnvelopeColumns(db);
  if (strays.length) {
    throw stopped(
      'unregistered_envelope_columns',
      `Des colonnes contiennent des secrets chiffrés sans être enregistrées (registerWrappedColumn) : ${strays.join(', ')}. Rotation non commencée.`,
      `Columns hold wrapped secrets but are not registered (registerWrappedColumn): ${strays.join(', ')}. Rotation not started.`,
      { columns: strays },
    );
  }
  let pending = await pendingCount(db, cols, keyring.current.id);
  const continued = [...pending.values()].some((n) => n > 0);
  if (!continued) {
    keyring = new Keyring([...keyring.keys, Keyring.generateKey()]);
    saveKeyring(keyringFile, keyring);
    pending = await pendingCount(db, cols, keyring.current.id);
  }
  const target = keyring.current;
  let rewrapped = 0;
  for (const c of cols) {
    const total = pending.get(c) ?? 0;
    let done = 0;
    const name = `${c.table}.${c.column}`;
    opts.onProgress?.({ column: name, done, total });
    for (;;) {
      const n = await runInTransaction({ db }, async ({ db: trx }) => {
        const { rows } = await trx.raw(
          `SELECT ?? AS row_id, ?? AS envelope FROM ?? WHERE ?? IS NOT NULL AND ?? ${notOn(target.id)}
            ORDER BY ?? LIMIT ? FOR UPDATE SKIP LOCKED`,
          [c.idColumn, c.column, c.table, c.column, c.column, c.idColumn, batchSize],
        );
        for (const r of rows as Array<{ row_id: string; envelope: string }>) {
          const context = envelopeContext(c.table, c.column, String(r.row_id));
          let plain: Buffer;
          try {
            envelopeKeyId(r.envelope);
            plain = unwrapSecret(keyring, r.envelope, context);
          } catch (e) {
            throw stopped(
              'secret_does_not_open',
              `Le secret ${context} ne s’ouvre pas (${(e as Error).message}) : rotation arrêtée ; ce qui précède est fait, relancez après correction.`,
              `Secret ${context} does not open (${(e as Error).message}): rotation stopped; what came before is done, run again once fixed.`,
              { secret: context },
            );
          }
          await trx(c.table)
            .where({ [c.idColumn]: r.row_id, [c.column]: r.envelope })
            .update({ [c.column]: wrapSecret(keyring, plain, context) });
        }
        return rows.length as number;
      });
      if (n === 0) break;
      done += n;
      rewrapped += n;
      opts.onProgress?.({ column: name, done, total: Math.max(total, done) });
    }
  }
  const used = await keysInUse(db, cols);
  const retirable = keyring.keys.filter((k) => k.id !== target.id && !used.has(k.id)).map((k) => k.id);
  return { keyId: target.id, continued, rewrapped, retirable };
}

/** `--retire KEYID`: removes a master key from the file, only when no envelope uses it. */
export async function retireMasterKey(db: Knex, keyringFile: string, keyId: string): Promise<void> {
  const keyring = Keyring.parse(fs.readFileSync(keyringFile, 'utf8'), keyringFile);
  if (!keyring.find(keyId)) {
    throw stopped('master_key_unknown', `Clé maîtresse ${keyId} inconnue.`, `Unknown master key ${keyId}.`);
  }
  if (keyring.current.id === keyId) {
    throw stopped(
      'master_key_current',
      `La clé ${keyId} est la clé courante : faites d’abord une rotation.`,
      `Key ${keyId} is the current key: rotate first.`,
    );
  }
  const inUse: string[] = [];
  for (const c of await existingColumns(db)) {
    const { rows } = await db.raw(`SELECT 1 FROM ?? WHERE ?? LIKE ? LIMIT 1`, [
      c.table,
      c.column,
      `v1:${keyId}:%`,
    ]);
    if (rows.length) inUse.push(`${c.table}.${c.column}`);
  }
  inUse.push(...(await unregisteredEnvelopeColumns(db, keyId)));
  if (inUse.length) {
    throw stopped(
      'master_key_in_use',
      `La clé ${keyId} chiffre encore des secrets (${inUse.join(', ')}) : terminez la rotation avant de la retirer.`,
      `Key ${keyId} still wraps secrets (${inUse.join(', ')}): finish the rotation before retiring it.`,
      { columns: inUse },
    );
  }
  saveKeyring(keyringFile, new Keyring(keyring.keys.filter((k) => k.id !== keyId)));
}
