import type { Knex } from 'knex';
import type { Keyring } from './master-key';
import { existingColumns } from './master-key-rotation';

export interface MasterKeyStatus {
  /** The keyring, oldest first; the current key wraps new secrets. */
  keys: Array<{ id: string; current: boolean; envelopes: number }>;
  /** Each column that holds wrapped secrets: how many, and how many under the current key. */
  columns: Array<{ column: string; total: number; onCurrent: number }>;
  total: number;
  onCurrent: number;
  /**
   * `complete`: every secret is under the current key. `resumable`: a rotation added a key and
   * stopped before re-wrapping everything; running it again finishes the job, adding no key.
   */
  state: 'complete' | 'resumable';
  /** Older keys no secret uses any more: they may be removed from the key file. */
  retirable: string[];
  /** What a racine runs on the host (the key file never leaves it). */
  commands: { rotate: string; retire: string };
}

/**
 * Where a master-key rotation stands, read from the envelopes themselves (each names its key):
 * rows re-wrapped out of the total, per column. Read-only: the rotation is a CLI command, run on
 * the host that holds the key file.
 */
export async function masterKeyStatus(db: Knex, keyring: Keyring): Promise<MasterKeyStatus> {
  const current = keyring.current.id;
  const perKey = new Map<string, number>();
  const columns: MasterKeyStatus['columns'] = [];
  for (const c of await existingColumns(db)) {
    const { rows } = await db.raw(
      `SELECT split_part(??, ':', 2) AS key_id, count(*)::int AS n FROM ?? WHERE ?? IS NOT NULL GROUP BY 1`,
      [c.column, c.table, c.column],
    );
    let total = 0;
    let onCurrent = 0;
    for (const r of rows as Array<{ key_id: string; n: number }>) {
      total += r.n;
      if (r.key_id === current) onCurrent += r.n;
      perKey.set(r.key_id, (perKey.get(r.key_id) ?? 0) + r.n);
    }
    columns.push({ column: `${c.table}.${c.column}`, total, onCurrent });
  }
  const total = columns.reduce((n, c) => n + c.total, 0);
  const onCurrent = columns.reduce((n, c) => n + c.onCurrent, 0);
  return {
    keys: keyring.keys.map((k) => ({
      id: k.id,
      current: k.id === current,
      envelopes: perKey.get(k.id) ?? 0,
    })),
    columns,
    total,
    onCurrent,
    state: onCurrent === total ? 'complete' : 'resumable',
    retirable: keyring.keys.filter((k) => k.id !== current && !perKey.get(k.id)).map((k) => k.id),
    commands: {
      rotate: 'giroflee keys rotate-master',
      retire: 'giroflee keys rotate-master --retire <KEYID>',
    },
  };
}
