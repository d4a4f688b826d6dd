import type {
  FetchMessageObject,
  FetchQueryObject,
  ImapFlow,
  MessageAddressObject,
  SearchObject,
} from 'imapflow';
import { Headers as MailHeaders } from '@zone-eu/mailsplit';
import { errors } from '../errors';
import { sortedUids, type SearchField, type SortOrder } from './uid-sort';

/**
 * The webmail's operations on one mailbox over IMAP. Everything here handles ciphertext and
 * clear routing headers only: bodies pass through untouched, to be decrypted in the browser.
 */

export interface FolderSummary {
  path: string;
  name: string;
  delimiter: string;
  /** `\Inbox`, `\Sent`, `\Drafts`, `\Trash`, `\Junk`, `\Archive` or null. */
  specialUse: string | null;
  messages: number;
  unseen: number;
}

const NOT_FOUND_CODES = new Set(['NONEXISTENT', 'TRYCREATE']);

/** IMAP refusals as API errors: a missing folder is a 404 like any missing resource. */
export function mapImapError(e: unknown): unknown {
  // imapflow's answer to a command still pending when the connection closed (a logout, the idle
  // timeout, or Dovecot going away): nothing was done, the browser may simply ask again.
  if ((e as { code?: string }).code === 'NoConnection') {
    return errors.unavailable(undefined, {
      fr: 'La connexion au serveur de courrier s’est fermée ; réessayez.',
      en: 'The connection to the mail server closed; try again.',
    });
  }
  const code = (e as { serverResponseCode?: string }).serverResponseCode;
  if (code && NOT_FOUND_CODES.has(code)) return errors.notFound();
  if (code === 'ALREADYEXISTS') {
    return errors.conflict('folder_exists', {
      fr: 'Un dossier porte déjà ce nom.',
      en: 'A folder with that name already exists.',
    });
  }
  if (code === 'OVERQUOTA' || code === 'LIMIT') {
    return errors.conflict('mailbox_full', {
      fr: 'La boîte aux lettres est pleine : supprimez des messages, puis réessayez.',
      en: 'The mailbox is full: delete messages, then try again.',
    });
  }
  return e;
}

export async function listFolders(client: ImapFlow): Promise<FolderSummary[]> {
  // STATUS of the selected folder reports this connection's view: bring it up to date first.
  if (client.mailbox) await client.noop();
  const list = await client.list({ statusQuery: { messages: true, unseen: true } });
  return list
    .filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'))
    .map((f) => ({
      path: f.path,
      name: f.name,
      delimiter: f.delimiter,
      specialUse: f.specialUse ?? (f.path.toUpperCase() === 'INBOX' ? '\\Inbox' : null),
      messages: f.status?.messages ?? 0,
      unseen: f.status?.unseen ?? 0,
    }));
}

async function specialFolder(client: ImapFlow, use: string): Promise<string | undefined> {
  return (await client.list()).find((f) => f.specialUse === use)?.path;
}

/** Special-use folders (RFC 6154) are the mailbox's structure: not renamed, not deleted. */
async function assertOrdinaryFolder(client: ImapFlow, path: string): Promise<void> {
  const folder = (await client.list()).find((f) => f.path === path);
  if (!folder) throw errors.notFound();
  if (folder.specialUse || path.toUpperCase() === 'INBOX') {
    throw errors.conflict('special_folder', {
      fr: 'Ce dossier fait partie de la boîte (réception, envoyés, brouillons…) : il ne peut être renommé ni supprimé.',
      en: 'This folder is part of the mailbox (inbox, sent, drafts…): it cannot be renamed or deleted.',
    });
  }
}

export async function createFolder(client: ImapFlow, path: string): Promise<{ path: string }> {
  const created = await client.mailboxCreate(path);
  await client.mailboxSubscribe(created.path);
  return { path: created.path };
}

export async function renameFolder(
  client: ImapFlow,
  path: string,
  newPath: string,
): Promise<{ path: string }> {
  await assertOrdinaryFolder(client, path);
  const renamed = await client.mailboxRename(path, newPath);
  return { path: renamed.newPath };
}

export async function deleteFolder(client: ImapFlow, path: string): Promise<void> {
  await assertOrdinaryFolder(client, path);
  await client.mailboxDelete(path);
}

/** Runs `fn` with `folder` selected, holding imapflow's lock so no other call reselects meanwhile. */
export async function inFolder<T>(client: ImapFlow, folder: string, fn: () => Promise<T>): Promise<T> {
  const already = client.mailbox && client.mailbox.path === folder;
  const lock = await client.getMailboxLock(folder);
  try {
    // Already selected: NOOP (RFC 3501 §6.1.2) brings the arrivals and expunges since last time.
    if (already) await client.noop();
    return await fn();
  } finally {
    lock.release();
  }
}

export interface Address {
  name: string;
  address: string;
}

export interface MessageSummary {
  uid: number;
  flags: string[];
  size: number;
  /** The Date header, else the arrival time (ISO 8601). */
  date: string;
  /** The outer Subject: `...` when the mailbox protects subjects (the real one is inside). */
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** PGP/MIME (RFC 3156): the body can only be read in the browser. */
  encrypted: boolean;
}

const SUMMARY_QUERY: FetchQueryObject = {
  uid: true,
  flags: true,
  size: true,
  envelope: true,
  internalDate: true,
  // The top Content-Type says whether the body is encrypted. BODYSTRUCTURE would say it too, but
  // Dovecot parses a whole message to answer it (7 MB for a 5 MB mail) where the header suffices.
  headers: ['references', 'content-type'],
};

const addresses = (list?: MessageAddressObject[]): Address[] =>
  (list ?? []).filter((a) => a.address).map((a) => ({ name: a.name ?? '', address: a.address as string }));

function iso(d: Date | string | undefined): string | undefined {
  if (!d) return undefined;
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function presentSummary(m: FetchMessageObject): MessageSummary {
  const e = m.envelope ?? {};
  const fields = new MailHeaders(m.headers ?? Buffer.alloc(0));
  const references = fields.getFirst('references').match(/<[^<>\s]+>/g) ?? [];
  const contentType = fields.getFirst('content-type').split(';')[0].trim().toLowerCase();
  return {
    uid: m.uid,
    // \Recent is per IMAP session (RFC 3501 §2.3.2), meaningless to the browser.
    flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent'),
    size: m.size ?? 0,
    date: iso(e.date) ?? iso(m.internalDate) ?? new Date(0).toISOString(),
    subject: e.subject ?? '',
    from: addresses(e.from),
    to: addresses(e.to),
    cc: addresses(e.cc),
    replyTo: addresses(e.replyTo),
    messageId: e.messageId ?? null,
    inReplyTo: e.inReplyTo ?? null,
    references,
    encrypted: contentType === 'multipart/encrypted',
  };
}

/** Summaries of the given UIDs of the selected folder, in the order of `uids`. */
export async function summaries(client: ImapFlow, uids: number[]): Promise<MessageSummary[]> {
  if (uids.length === 0) return [];
  const fetched = await client.fetchAll(uids.join(','), SUMMARY_QUERY, { uid: true });
  const byUid = new Map(fetched.map((m) => [m.uid, presentSummary(m)]));
  return uids.flatMap((uid) => byUid.get(uid) ?? []);
}

export interface MessagePage {
  uidValidity: string;
  highestModseq: string | null;
  /** How many messages match (the whole folder without a search). */
  total: number;
  messages: MessageSummary[];
  /** Pass as `anchor` for the next page; null at the end. */
  next: number | null;
}

export interface PageQuery {
  order: SortOrder;
  /** The last UID of the previous page; absent for the first page. */
  anchor?: number;
  limit: number;
  search?: { field: SearchField; text: string };
}

/**
 * The selected folder's UIDs in `order`, kept in `memo` (per connection) until the folder's
 * HIGHESTMODSEQ or its message count moves (RFC 7162).
 */
export async function folderUids(
  client: ImapFlow,
  memo: Map<string, unknown>,
  order: SortOrder,
  search?: { field: SearchField; text: string },
): Promise<number[]> {
  const box = client.mailbox;
  if (!box) throw errors.notFound();
  const key = JSON.stringify([
    box.path,
    box.uidValidity.toString(),
    box.highestModseq?.toString() ?? null,
    box.exists,
    order,
    search ?? null,
  ]);
  let uids = memo.get(key) as number[] | undefined;
  if (!uids) {
    uids = box.exists === 0 && !search ? [] : await sortedUids(client, order, search);
    // One folder view at a time per connection is what the webmail does: keep only the latest.
    memo.clear();
    memo.set(key, uids);
  }
  return uids;
}

/**
 * One page of the selected folder, anchored on a UID rather than an offset, so new mail arriving
 * meanwhile neither repeats nor skips messages. The sorted UID list is kept per connection until
 * the folder's HIGHESTMODSEQ moves (RFC 7162), so paging through a large folder sorts it once.
 */
export async function listPage(
  client: ImapFlow,
  memo: Map<string, unknown>,
  q: PageQuery,
): Promise<MessagePage> {
  const box = client.mailbox;
  if (!box) throw errors.notFound();
  const modseq = box.highestModseq?.toString() ?? null;
  const uids = await folderUids(client, memo, q.order, q.search);
  let start = 0;
  if (q.anchor !== undefined) {
    const at = uids.indexOf(q.anchor);
    // The anchor was deleted: UIDs grow with arrival, so in arrival order the page starts below it.
    start = at >= 0 ? at + 1 : q.order === 'arrival' ? uids.findIndex((u) => u < (q.anchor as number)) : -1;
    if (start < 0) start = q.order === 'arrival' ? uids.length : 0;
  }
  const slice = uids.slice(start, start + q.limit);
  return {
    uidValidity: box.uidValidity.toString(),
    highestModseq: modseq,
    total: uids.length,
    messages: await summaries(client, slice),
    next: start + q.limit < uids.length ? (slice[slice.length - 1] ?? null) : null,
  };
}

export interface Changes {
  uidValidity: string;
  highestModseq: string | null;
  /** Messages whose flags changed, or that arrived, since `since`. */
  changed: Array<{ uid: number; flags: string[] }>;
  /** UIDs expunged since `since` (QRESYNC VANISHED). */
  vanished: number[];
}

/** What changed in the selected folder since a modseq (RFC 7162 CHANGEDSINCE + VANISHED). */
export async function changesSince(client: ImapFlow, since: bigint): Promise<Changes> {
  const box = client.mailbox;
  if (!box) throw errors.notFound();
  const vanished: number[] = [];
  const onExpunge = (e: { uid?: number; vanished?: boolean }) => {
    if (e.vanished && e.uid) vanished.push(e.uid);
  };
  client.on('expunge', onExpunge);
  let changed: Array<{ uid: number; flags: string[] }> = [];
  try {
    if (box.exists > 0) {
      const fetched = await client.fetchAll(
        '1:*',
        { uid: true, flags: true },
        { uid: true, changedSince: since },
      );
      changed = fetched.map((m) => ({
        uid: m.uid,
        flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent'),
      }));
    }
  } finally {
    client.off('expunge', onExpunge);
  }
  return {
    uidValidity: box.uidValidity.toString(),
    highestModseq: client.mailbox ? (client.mailbox.highestModseq?.toString() ?? null) : null,
    changed,
    vanished,
  };
}

export async function setFlags(
  client: ImapFlow,
  uids: number[],
  change: { add?: string[]; remove?: string[] },
): Promise<void> {
  const range = uids.join(',');
  if (change.add?.length) await client.messageFlagsAdd(range, change.add, { uid: true });
  if (change.remove?.length) await client.messageFlagsRemove(range, change.remove, { uid: true });
}

export async function moveMessages(
  client: ImapFlow,
  uids: number[],
  to: string,
): Promise<Record<string, number>> {
  if (!(await client.list()).some((f) => f.path === to)) throw errors.notFound();
  const result = await client.messageMove(uids.join(','), to, { uid: true });
  return result ? Object.fromEntries(result.uidMap ?? new Map()) : {};
}

/**
 * Deleting moves to the Trash; in the Trash (or with no Trash), or when asked (a draft replaced
 * by the message it became), it expunges for good.
 */
export async function deleteMessages(
  client: ImapFlow,
  folder: string,
  uids: number[],
  permanent = false,
): Promise<'trash' | 'expunged'> {
  const trash = permanent ? undefined : await specialFolder(client, '\\Trash');
  if (trash && trash !== folder) {
    await client.messageMove(uids.join(','), trash, { uid: true });
    return 'trash';
  }
  await client.messageDelete(uids.join(','), { uid: true });
  return 'expunged';
}

/**
 * Empties the Trash or the Junk folder for good (RFC 3501 §6.4.3). `messages` is how many the
 * owner was told would go: if the folder holds another number now (mail arrived in Junk since),
 * nothing is deleted and she is asked to look again.
 */
export async function emptyFolder(
  client: ImapFlow,
  path: string,
  messages: number,
): Promise<{ deleted: number }> {
  const folder = (await client.list()).find((f) => f.path === path);
  if (!folder) throw errors.notFound();
  if (folder.specialUse !== '\\Trash' && folder.specialUse !== '\\Junk') {
    throw errors.conflict('not_emptiable', {
      fr: 'Seuls la corbeille et le dossier des indésirables se vident ainsi.',
      en: 'Only the Trash and the Junk folder can be emptied this way.',
    });
  }
  return inFolder(client, path, async () => {
    const exists = client.mailbox ? client.mailbox.exists : 0;
    if (exists !== messages) {
      throw errors.conflict('folder_changed', {
        fr: `Le dossier contient maintenant ${exists} message(s) : vérifiez-le, puis videz-le à nouveau.`,
        en: `The folder now holds ${exists} message(s): look at it, then empty it again.`,
      });
    }
    if (exists > 0) await client.messageDelete('1:*');
    return { deleted: exists };
  });
}

/**
 * Messages of the selected folder that answer or follow any of `messageIds` (In-Reply-To or
 * References), for the conversation view to include the mailbox's own replies from Sent.
 */
export async function referencing(client: ImapFlow, messageIds: string[]): Promise<MessageSummary[]> {
  if (messageIds.length === 0 || !client.mailbox || client.mailbox.exists === 0) return [];
  const or = messageIds.flatMap((id): SearchObject[] => [
    { header: { 'in-reply-to': id } },
    { header: { references: id } },
  ]);
  const uids = await client.search(or.length === 1 ? or[0] : { or }, { uid: true });
  return summaries(
    client,
    (uids || []).sort((a, b) => b - a),
  );
}

/**
 * Stores a message (APPEND, RFC 3501 §6.3.11). `replace` names the UID of the copy it supersedes
 * in the same folder (the previous autosave of a draft), removed for good once the new one is
 * stored, never before: a failure leaves the older draft, not none.
 */
export async function appendMessage(
  client: ImapFlow,
  folder: string,
  raw: Buffer,
  flags: string[],
  replace?: number,
): Promise<{ uid: number | null; uidValidity: string | null }> {
  const result = await client.append(folder, raw, flags);
  if (!result) throw errors.notFound();
  if (replace !== undefined && replace !== result.uid) {
    await inFolder(client, folder, () => client.messageDelete(String(replace), { uid: true }));
  }
  return { uid: result.uid ?? null, uidValidity: result.uidValidity?.toString() ?? null };
}
