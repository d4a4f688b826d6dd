import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import MiniSearch from 'minisearch';
import * as openpgp from 'openpgp';
import type { IndexProgress, OpenedMessage, SearchHit } from '../protocol';
import { api, mailPath, WorkerError } from './api';
import { ownKey, unlockedKeys } from './keys';
import { openMessage } from './open-message';

/**
 * The local body search: a MiniSearch index of the messages this Worker decrypted, kept in
 * IndexedDB so that a reload does not decrypt everything again. What is stored is encrypted
 * (AES-256-GCM) under an index key that is itself encrypted to the mailbox's OpenPGP key: the
 * index key is opened here, with the unlocked private key, and never leaves this Worker, so
 * neither the page nor whoever copies the browser's profile can read a word of it alone.
 */

interface Doc {
  id: string;
  folder: string;
  uid: number;
  subject: string;
  from: string;
  date: string | null;
  text: string;
}

interface StoredDoc {
  /** `folder NUL uid`: bound to the ciphertext as AES-GCM additional data. */
  id: string;
  folder: string;
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

interface SearchDb extends DBSchema {
  /** `key`: the index key, OpenPGP-encrypted to the mailbox's key. */
  meta: { key: string; value: Uint8Array };
  /** Per folder, the UIDVALIDITY the stored UIDs belong to (RFC 3501 §2.3.1.1). */
  folders: { key: string; value: { folder: string; uidValidity: string } };
  docs: { key: string; value: StoredDoc; indexes: { folder: string } };
}

interface Page {
  total: number;
  messages: Array<{ uid: number }>;
  next: number | null;
  uidValidity: string;
}

interface Index {
  address: string;
  /** Null when the mailbox has no key to wrap the index key with: the index lives in memory only. */
  db: IDBPDatabase<SearchDb> | null;
  key: CryptoKey;
  search: MiniSearch<Doc>;
  perFolder: Map<string, Set<number>>;
}

/** Enough of a long message's text to find it by; keeps the index of a big folder in bounds. */
const MAX_TEXT = 20_000;
/** Progress reaches the page at most this often while a folder is being indexed. */
const PROGRESS_EVERY_MS = 250;

const fold = (term: string) => term.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

const newIndex = () =>
  new MiniSearch<Doc>({
    fields: ['subject', 'from', 'text'],
    storeFields: ['folder', 'uid', 'subject', 'from', 'date'],
    // "reunion" finds "Réunion": accents and case folded on both sides.
    processTerm: (term) => fold(term) || null,
  });

const docId = (folder: string, uid: number) => `${folder}\u0000${uid}`;
const bytes = (s: string) => new TextEncoder().encode(s);

let current: Promise<Index> | null = null;
let currentAddress = '';
let report: (p: IndexProgress) => void = () => undefined;

/** Where progress goes (the Worker posts it to the page). */
export function onIndexProgress(listener: (p: IndexProgress) => void): void {
  report = listener;
}

async function wrapNewKey(db: IDBPDatabase<SearchDb> | null, own: openpgp.PrivateKey | null) {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  try {
    if (db && own) {
      const wrapped = await openpgp.encrypt({
        message: await openpgp.createMessage({ binary: raw }),
        encryptionKeys: own.toPublic(),
        format: 'binary',
      });
      const tx = db.transaction(['meta', 'folders', 'docs'], 'readwrite');
      await Promise.all([tx.objectStore('folders').clear(), tx.objectStore('docs').clear()]);
      await tx.objectStore('meta').put(wrapped as Uint8Array, 'key');
      await tx.done;
    }
    return await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  } finally {
    raw.fill(0);
  }
}

/** The stored index key, opened with the unlocked private keys; null if none opens it. */
async function unwrapKey(wrapped: Uint8Array): Promise<CryptoKey | null> {
  try {
    const { data } = await openpgp.decrypt({
      message: await openpgp.readMessage({ binaryMessage: wrapped }),
      decryptionKeys: unlockedKeys(),
      format: 'binary',
    });
    const raw = data as Uint8Array<ArrayBuffer>;
    const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    raw.fill(0);
    return key;
  } catch {
    return null;
  }
}

async function openStored(address: string): Promise<Index> {
  const own = await ownKey();
  const db = own
    ? await openDB<SearchDb>(`giroflee-search:${address}`, 1, {
        upgrade(d) {
          d.createObjectStore('meta');
          d.createObjectStore('folders', { keyPath: 'folder' });
          d.createObjectStore('docs', { keyPath: 'id' }).createIndex('folder', 'folder');
        },
      })
    : null;
  const wrapped = db ? await db.get('meta', 'key') : undefined;
  // A key that no unlocked key opens (a new mailbox key after an admin reset): start again.
  const key = (wrapped && (await unwrapKey(wrapped))) || (await wrapNewKey(db, own));
  const index: Index = { address, db, key, search: newIndex(), perFolder: new Map() };
  const docs: Doc[] = [];
  for (const stored of db ? await db.getAll('docs') : []) {
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: stored.iv, additionalData: bytes(stored.id) },
        key,
        stored.data,
      );
      docs.push(JSON.parse(new TextDecoder().decode(plain)) as Doc);
    } catch {
      // Written under an earlier key or damaged: indexed again when its folder is walked.
    }
  }
  index.search.addAll(docs);
  for (const d of docs) uidsOf(index, d.folder).add(d.uid);
  return index;
}

function uidsOf(index: Index, folder: string): Set<number> {
  let uids = index.perFolder.get(folder);
  if (!uids) index.perFolder.set(folder, (uids = new Set()));
  return uids;
}

/** The index of the unlocked mailbox, loaded from IndexedDB on first use. */
function ready(address: string): Promise<Index> {
  if (unlockedKeys().length === 0) return Promise.reject(new WorkerError('locked'));
  if (!current || currentAddress !== address) {
    currentAddress = address;
    const loading = openStored(address);
    current = loading;
    loading.catch(() => {
      if (current === loading) current = null;
    });
  }
  return current;
}

function htmlText(html: string): string {
  return html
    .replace(/<(style|script|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(
      /&(amp|lt|gt|quot|apos);/g,
      (e) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" })[e] ?? e,
    );
}

function toDoc(folder: string, uid: number, m: OpenedMessage | null): Doc {
  const text = m
    ? [m.text ?? htmlText(m.html ?? ''), ...m.attachments.map((a) => a.filename)].join('\n')
    : '';
  return {
    id: docId(folder, uid),
    folder,
    uid,
    subject: m?.subject ?? '',
    from: m?.from.map((p) => (p.name ? `${p.name} <${p.address}>` : p.address)).join(', ') ?? '',
    date: m?.date ?? null,
    text: text.slice(0, MAX_TEXT),
  };
}

async function store(index: Index, doc: Doc): Promise<void> {
  if (index.search.has(doc.id)) index.search.replace(doc);
  else index.search.add(doc);
  uidsOf(index, doc.folder).add(doc.uid);
  if (!index.db) return;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: bytes(doc.id) },
    index.key,
    bytes(JSON.stringify(doc)),
  );
  await index.db.put('docs', { id: doc.id, folder: doc.folder, iv, data });
}

/** A message the reader just decrypted goes into the index at once (if it is loaded). */
export async function indexOpened(address: string, folder: string, uid: number, m: OpenedMessage) {
  if (currentAddress !== address || !current) return;
  const index = await current;
  if (!uidsOf(index, folder).has(uid)) await store(index, toDoc(folder, uid, m));
}

async function forgetFolder(index: Index, folder: string): Promise<void> {
  for (const uid of uidsOf(index, folder)) index.search.discard(docId(folder, uid));
  index.perFolder.delete(folder);
  if (!index.db) return;
  const tx = index.db.transaction('docs', 'readwrite');
  for (const key of await tx.store.index('folder').getAllKeys(folder)) await tx.store.delete(key);
  await tx.done;
}

async function walk(address: string, folder: string): Promise<IndexProgress> {
  const index = await ready(address);
  const uids = () => uidsOf(index, folder);
  const base = `${mailPath(address)}/folders/${encodeURIComponent(folder)}/messages?order=arrival&limit=200`;
  let page = await api<Page>('GET', base);
  const known = index.db ? await index.db.get('folders', folder) : undefined;
  if (known && known.uidValidity !== page.uidValidity) await forgetFolder(index, folder);
  await index.db?.put('folders', { folder, uidValidity: page.uidValidity });

  const total = page.total;
  let said = 0;
  const progress = (final = false): IndexProgress => {
    const p = { address, folder, indexed: Math.min(uids().size, total), total, done: final };
    if (final || Date.now() - said >= PROGRESS_EVERY_MS) {
      said = Date.now();
      report(p);
    }
    return p;
  };
  progress();
  const seen = new Set<number>();
  // Newest first (by UID): new mail is indexed before the rest of a half-indexed folder.
  for (;;) {
    for (const { uid } of page.messages) {
      seen.add(uid);
      if (uids().has(uid)) continue;
      let opened: OpenedMessage | null = null;
      try {
        opened = await openMessage(address, folder, uid, { verify: false });
      } catch (e) {
        // Gone meanwhile, or the server out of reach: tried again on the next walk.
        if ((e as { code?: string }).code === 'not_found' || (e as { code?: string }).code === 'unavailable')
          throw e;
        // Cannot be decrypted (another key, damaged): indexed by its headers only.
      }
      await store(index, toDoc(folder, uid, opened));
      progress();
    }
    // Resuming: stop once every message of the folder has its entry.
    if (!page.next || uids().size >= total) break;
    page = await api<Page>('GET', `${base}&anchor=${page.next}`);
  }
  if (!page.next) {
    // A whole walk: what was expunged since leaves the index.
    for (const uid of [...uids()].filter((u) => !seen.has(u))) {
      index.search.discard(docId(folder, uid));
      uids().delete(uid);
      await index.db?.delete('docs', docId(folder, uid));
    }
  }
  return progress(true);
}

let queue: Promise<unknown> = Promise.resolve();
const queued = new Map<string, Promise<IndexProgress>>();

/**
 * Indexes what the folder holds and the index lacks, newest first, one folder at a time. Called
 * when a folder is shown and again when the server announces new mail (SSE).
 */
export function indexFolder(address: string, folder: string): Promise<IndexProgress> {
  const id = `${address}\u0000${folder}`;
  const waiting = queued.get(id);
  if (waiting) return waiting;
  const run = queue.then(() => {
    queued.delete(id);
    return walk(address, folder);
  });
  queued.set(id, run);
  queue = run.catch(() => undefined);
  return run;
}

export async function searchIndex(address: string, query: string): Promise<SearchHit[]> {
  const index = await ready(address);
  return index.search
    .search(query, {
      prefix: true,
      fuzzy: (term) => (term.length > 5 ? 0.2 : false),
      combineWith: 'AND',
      boost: { subject: 2 },
    })
    .slice(0, 100)
    .map((r) => ({
      folder: r.folder as string,
      uid: r.uid as number,
      subject: r.subject as string,
      from: r.from as string,
      date: (r.date as string | null) ?? null,
    }));
}

/** Logout: the index and its key leave memory; IndexedDB keeps only ciphertext. */
export function forgetIndex(): void {
  const closing = current;
  current = null;
  currentAddress = '';
  queued.clear();
  void closing?.then((i) => i.db?.close()).catch(() => undefined);
}
