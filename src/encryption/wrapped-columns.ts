/**
 * Every database column that holds master-key envelopes, so that a master-key rotation
 * re-wraps them all. A module that stores a secret with wrapSecret() registers its column
 * (idempotent), naming the column whose value is the envelope context's row id.
 */
export interface WrappedColumn {
  table: string;
  column: string;
  /** The column used as row id in envelopeContext(table, column, rowId). */
  idColumn: string;
}

const registry = new Map<string, WrappedColumn>();

export function registerWrappedColumn(table: string, column: string, idColumn = 'id'): void {
  registry.set(`${table}.${column}`, { table, column, idColumn });
}

export function wrappedColumns(): WrappedColumn[] {
  return [...registry.values()];
}

// The secrets the platform stores today (docs/architecture.md, "Encryption"); registered here too
// so that the rotation command covers them even when their modules are not loaded.
registerWrappedColumn('accounts', 'totp_secret');
registerWrappedColumn('dkim_keys', 'private_key');
registerWrappedColumn('relays', 'password');
registerWrappedColumn('mailstack_secrets', 'secret', 'name');
