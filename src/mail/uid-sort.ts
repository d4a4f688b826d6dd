import type { ImapFlow, SearchObject } from 'imapflow';

interface Attribute {
  type: 'ATOM' | 'STRING';
  value: string;
}
type Attributes = Array<Attribute | Attributes>;
type Untagged = { attributes?: Array<{ value?: string }> };

/** imapflow's connection as its commands see it (not typed publicly). */
interface Connection {
  exec(
    command: string,
    attributes: Attributes,
    options: { untagged: Record<string, (untagged: Untagged) => Promise<void>> },
  ): Promise<unknown>;
}
type Command = (connection: Connection, attributes: Attributes) => Promise<number[]>;

const SORT_COMMAND = 'GIROFLEE-UID-SORT';

/**
 * imapflow has no SORT command. It is added to imapflow's command table and run through
 * `run()`, which ends an IDLE in progress first and re-arms it after, like every built-in command.
 */
function sortCommand(client: ImapFlow): (attributes: Attributes) => Promise<number[]> {
  const commands = (client as unknown as { commands: Map<string, Command> }).commands;
  if (!commands.has(SORT_COMMAND)) {
    commands.set(SORT_COMMAND, async (connection, attributes) => {
      const uids: number[] = [];
      const collect = async (untagged: Untagged) => {
        for (const a of untagged.attributes ?? []) {
          const n = Number(a.value);
          if (Number.isInteger(n) && n > 0) uids.push(n);
        }
      };
      const response = await connection.exec('UID SORT', attributes, { untagged: { SORT: collect } });
      // As imapflow's own commands do: release the parser, which waits for this before reading on.
      (response as { next?: () => void }).next?.();
      return uids;
    });
  }
  const run = (client as unknown as { run(name: string, a: Attributes): Promise<number[] | false> }).run;
  return async (attributes) => (await run.call(client, SORT_COMMAND, attributes)) || [];
}

function searchQuery(search: { field: SearchField; text: string }): SearchObject {
  if (search.field !== 'any') return { [search.field]: search.text };
  return { or: [{ from: search.text }, { to: search.text }, { subject: search.text }] };
}

export type SortOrder = 'arrival' | 'date';

/** Header search (RFC 3501 §6.4.4): which header fields `text` is looked for in. */
export type SearchField = 'from' | 'to' | 'subject' | 'any';

const atom = (value: string): Attribute => ({ type: 'ATOM', value });
const string = (value: string): Attribute => ({ type: 'STRING', value });

function criteria(search?: { field: SearchField; text: string }): Attributes {
  if (!search) return [atom('ALL')];
  const one = (f: string) => [atom(f.toUpperCase()), string(search.text)];
  if (search.field !== 'any') return one(search.field);
  // OR OR FROM x TO x SUBJECT x (prefix notation, RFC 3501 §6.4.4).
  return [atom('OR'), atom('OR'), ...one('from'), ...one('to'), ...one('subject')];
}

/**
 * UIDs of the selected folder, newest first, optionally restricted by a header search. By date:
 * RFC 5256 `UID SORT (REVERSE DATE)`, sent raw (imapflow has no SORT). By arrival: UIDs are
 * given in arrival order (RFC 3501 §2.3.1.1), and exactly so, where SORT ARRIVAL would tie
 * messages that arrived within the same second and order ties oldest first.
 */
export async function sortedUids(
  client: ImapFlow,
  order: SortOrder,
  search?: { field: SearchField; text: string },
): Promise<number[]> {
  if (order === 'arrival') {
    const query = search ? searchQuery(search) : { all: true };
    return ((await client.search(query, { uid: true })) || []).sort((a, b) => b - a);
  }
  return sortCommand(client)([[atom('REVERSE'), atom('DATE')], atom('UTF-8'), ...criteria(search)]);
}
