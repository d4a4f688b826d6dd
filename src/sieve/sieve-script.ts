import { sieveRulesSchema, type SieveFilter, type SieveRules } from './sieve-rules';

/**
 * The Sieve script of a mailbox's rules. Its first line holds the rules themselves (JSON,
 * base64url), so the script in Dovecot is the one place they live: reading them back is reading
 * that line, and a script written by anything else is recognised as not ours.
 */
const MARK = '# giroflee-rules v1 ';

/** RFC 5228 §2.4.2: in a quoted string only `"` and `\` are escaped; line breaks may stand as they are. */
const str = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\r\n')}"`;

function test(f: SieveFilter): string {
  const match = `:${f.match}`;
  switch (f.field) {
    case 'from':
      return `address :all ${match} "from" ${str(f.value)}`;
    case 'to':
      return `address :all ${match} ["to", "cc"] ${str(f.value)}`;
    case 'subject':
      return `header ${match} "subject" ${str(f.value)}`;
    case 'list-id':
      return `header ${match} "list-id" ${str(f.value)}`;
  }
}

/** The script for `rules`: filters first (a filtered message gets no vacation reply), then the reply. */
export function renderSieveScript(rules: SieveRules): string {
  const requires = new Set<string>();
  const body: string[] = [];
  for (const f of rules.filters) {
    if (f.action === 'move') {
      requires.add('fileinto').add('mailbox');
      body.push(`if ${test(f)} {`, `  fileinto :create ${str(f.folder!)};`, '  stop;', '}');
    } else {
      body.push(`if ${test(f)} {`, '  discard;', '  stop;', '}');
    }
  }
  const v = rules.vacation;
  if (v) {
    requires.add('vacation');
    // RFC 5230 §4: the reply goes at most once per sender and period, never to lists or robots.
    const reply = `vacation :days ${v.days} :subject ${str(v.subject)} ${str(v.body)};`;
    const window = [
      ...(v.from ? [`currentdate :value "ge" "date" ${str(v.from)}`] : []),
      ...(v.until ? [`currentdate :value "le" "date" ${str(v.until)}`] : []),
    ];
    if (window.length) {
      // RFC 5260 §5 (date), RFC 5231 (relational :value).
      requires.add('date').add('relational');
      body.push(`if allof (${window.join(', ')}) {`, `  ${reply}`, '}');
    } else {
      body.push(reply);
    }
  }
  const head = [`${MARK}${Buffer.from(JSON.stringify(rules)).toString('base64url')}`];
  if (requires.size) head.push(`require [${[...requires].map(str).join(', ')}];`);
  return [...head, ...body, ''].join('\r\n');
}

/** The rules a script of ours was made from; undefined for any other script. */
export function readSieveScript(script: string): SieveRules | undefined {
  const first = script.split(/\r?\n/, 1)[0];
  if (!first.startsWith(MARK)) return undefined;
  try {
    const parsed = sieveRulesSchema.safeParse(
      JSON.parse(Buffer.from(first.slice(MARK.length), 'base64url').toString('utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
