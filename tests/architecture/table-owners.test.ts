import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * One owner per table (docs/architecture.md, "One owner per table"): every write to a table,
 * through knex or in raw SQL, is in the module the document names for it. The table of owners is
 * read from the document itself, so the document and the code cannot drift apart.
 */
const ROOT = path.join(__dirname, '..', '..');
const WRITES = new Set(['insert', 'update', 'delete', 'del', 'increment', 'decrement', 'truncate', 'upsert']);
const QUERY_ROOTS = /^(db|trx|knex)$/;
// Re-wrapping master-key envelopes walks every registered column of every table by name.
const DYNAMIC_WRITERS = ['src/encryption/master-key-rotation.ts'];

interface Write {
  file: string;
  line: number;
  table: string | null;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** `db('t')`, `trx('t as x')`, `ctx.db('t')`: the table a query starts from; null when not a literal. */
function queryTable(call: ts.CallExpression): string | null | undefined {
  const callee = call.expression;
  const named = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : undefined;
  if (!named || !QUERY_ROOTS.test(named)) return undefined;
  const [arg] = call.arguments;
  if (arg && ts.isStringLiteralLike(arg)) return arg.text.split(/\s+/)[0];
  return null;
}

/** Follows a builder chain down to the query it started from, through a local variable if need be. */
function rootTable(expr: ts.Expression, variables: Map<string, ts.Expression>): string | null | undefined {
  for (let e = expr; ;) {
    if (ts.isCallExpression(e)) {
      const table = queryTable(e);
      if (table !== undefined) return table;
      e = e.expression;
    } else if (
      ts.isPropertyAccessExpression(e) ||
      ts.isParenthesizedExpression(e) ||
      ts.isAwaitExpression(e)
    ) {
      e = e.expression;
    } else if (ts.isIdentifier(e) && variables.has(e.text)) {
      e = variables.get(e.text)!;
      variables = new Map([...variables].filter(([k]) => k !== (e as ts.Identifier).text));
    } else {
      return undefined;
    }
  }
}

const RAW_WRITE = /\b(?:INSERT\s+INTO|DELETE\s+FROM)\s+"?(\w+)|\bUPDATE\s+"?(\w+)"?\s+SET\b/gi;

function writesIn(file: string): Write[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const rel = path.relative(ROOT, file);
  const variables = new Map<string, ts.Expression>();
  const found: Write[] = [];
  const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const collect = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      variables.set(node.name.text, node.initializer);
    }
    ts.forEachChild(node, collect);
  };
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      WRITES.has(node.expression.name.text)
    ) {
      const table = rootTable(node.expression.expression, variables);
      if (table !== undefined) found.push({ file: rel, line: at(node), table });
    }
    if (
      ts.isStringLiteralLike(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      for (const m of node.text.matchAll(RAW_WRITE))
        found.push({ file: rel, line: at(node), table: m[1] ?? m[2] });
    }
    ts.forEachChild(node, visit);
  };
  collect(source);
  visit(source);
  return found;
}

/** The `| table | owner |` rows of docs/architecture.md. */
function documentedOwners(): Map<string, string> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const owners = new Map<string, string>();
  for (const m of doc.matchAll(/^\|\s*`(\w+)`\s*\|\s*`(src\/[\w/.-]+\.ts)`\s*\|/gm)) owners.set(m[1], m[2]);
  return owners;
}

function migratedTables(): string[] {
  const dir = path.join(ROOT, 'migrations');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1]),
    );
}

describe('one owner per table', () => {
  const owners = documentedOwners();
  const writes = sourceFiles(path.join(ROOT, 'src')).flatMap(writesIn);

  it('names one owner, an existing module, for every table the migrations create', () => {
    expect([...owners.keys()].sort()).toEqual([...new Set(migratedTables())].sort());
    for (const file of owners.values()) expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
  });

  it('finds each owner writing its table (the scan sees the writes it must judge)', () => {
    for (const [table, file] of owners) {
      expect({ table, writes: writes.some((w) => w.table === table && w.file === file) }).toEqual({
        table,
        writes: true,
      });
    }
  });

  it('writes each table only from its owner', () => {
    const strays = writes
      .filter((w) => w.table !== null && owners.get(w.table) !== w.file)
      .map((w) => `${w.file}:${w.line} writes ${w.table}, owned by ${owners.get(w.table!) ?? 'nobody'}`);
    expect(strays).toEqual([]);
  });

  it('writes tables named at run time only where the document says why', () => {
    const dynamic = writes.filter((w) => w.table === null).map((w) => w.file);
    expect([...new Set(dynamic)]).toEqual(DYNAMIC_WRITERS);
  });
});
