import { api, apiRaw } from '../shell/api';

export interface Person {
  name: string;
  address: string;
}

export interface Folder {
  path: string;
  name: string;
  specialUse: string | null;
  messages: number;
  unseen: number;
}

export interface Summary {
  uid: number;
  flags: string[];
  size: number;
  date: string;
  subject: string;
  from: Person[];
  to: Person[];
  cc: Person[];
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  encrypted: boolean;
}

export interface Page {
  total: number;
  messages: Summary[];
  next: number | null;
  highestModseq: string | null;
  uidValidity: string;
}

/** What changed in a folder since a modseq (CONDSTORE / QRESYNC). */
export interface Changes {
  highestModseq: string | null;
  changed: Array<{ uid: number; flags: string[] }>;
  vanished: number[];
}

export interface Identity {
  address: string;
  name: string;
  primary: boolean;
}

export interface MailSettings {
  encryptionMode: 'generated' | 'public-key' | 'none';
  maxMessageBytes: number;
  protectedSubject: boolean;
  identities: Identity[];
}

export interface RecipientKey {
  source: 'platform' | 'wkd';
  fingerprint: string;
  publicKey: string;
}

export interface QuotaUsage {
  usedBytes: number;
  limitBytes: number | null;
  usedMessages: number;
  percent: number;
}

export interface AppPassword {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface Vacation {
  subject: string;
  body: string;
  days: number;
  from?: string;
  until?: string;
}

export interface SieveFilter {
  field: 'from' | 'to' | 'subject' | 'list-id';
  match: 'contains' | 'is';
  value: string;
  action: 'move' | 'discard';
  folder?: string;
}

export interface SieveRules {
  vacation: Vacation | null;
  filters: SieveFilter[];
}

const base = (address: string) => `/mail/${encodeURIComponent(address)}`;
const folderPath = (address: string, folder: string) =>
  `${base(address)}/folders/${encodeURIComponent(folder)}`;

async function postMessage<T>(path: string, raw: Uint8Array): Promise<T> {
  const res = await apiRaw('POST', path, { raw, contentType: 'message/rfc822' });
  return (await res.json()) as T;
}

/** The mailbox's own settings, under /mailboxes/:address (the same routes the console uses). */
const mailbox = (address: string) => `/mailboxes/${encodeURIComponent(address)}`;

export const accountApi = {
  changePassword: (address: string, body: { currentPassword: string; newPassword: string }) =>
    api<{ recoveryCode: string | null }>('POST', `${mailbox(address)}/password`, { body }),
  quota: (address: string) => api<QuotaUsage>('GET', `${mailbox(address)}/quota`),
  appPasswords: (address: string) =>
    api<{ items: AppPassword[]; mainPasswordRefused: boolean }>('GET', `${mailbox(address)}/app-passwords`),
  createAppPassword: (address: string, name: string) =>
    api<AppPassword & { password: string }>('POST', `${mailbox(address)}/app-passwords`, { body: { name } }),
  revokeAppPassword: (address: string, id: string) =>
    api('DELETE', `${mailbox(address)}/app-passwords/${encodeURIComponent(id)}`),
  sieve: (address: string) =>
    api<{ rules: SieveRules; otherScriptActive: boolean }>('GET', `${mailbox(address)}/sieve`),
  saveSieve: (address: string, rules: SieveRules) =>
    api<{ rules: SieveRules }>('PUT', `${mailbox(address)}/sieve`, { body: rules }),
};

export const mailApi = {
  folders: (address: string) => api<{ folders: Folder[] }>('GET', `${base(address)}/folders`),
  createFolder: (address: string, path: string) =>
    api<{ path: string }>('POST', `${base(address)}/folders`, { body: { path } }),
  renameFolder: (address: string, folder: string, path: string) =>
    api<{ path: string }>('PATCH', folderPath(address, folder), { body: { path } }),
  deleteFolder: (address: string, folder: string) => api('DELETE', folderPath(address, folder)),
  page: (address: string, folder: string, q: { anchor?: number | null; q?: string; limit?: number } = {}) => {
    const query = new URLSearchParams({ limit: String(q.limit ?? 50) });
    if (q.anchor) query.set('anchor', String(q.anchor));
    if (q.q) query.set('q', q.q);
    return api<Page>('GET', `${folderPath(address, folder)}/messages?${query}`);
  },
  changes: (address: string, folder: string, since: string) =>
    api<Changes>('GET', `${folderPath(address, folder)}/changes?since=${encodeURIComponent(since)}`),
  summaries: (address: string, folder: string, uids: number[]) =>
    api<{ messages: Summary[] }>('GET', `${folderPath(address, folder)}/messages?uids=${uids.join(',')}`),
  related: (address: string, folder: string, messageIds: string[]) =>
    api<{ messages: Summary[] }>('POST', `${folderPath(address, folder)}/related`, { body: { messageIds } }),
  flags: (address: string, folder: string, uids: number[], change: { add?: string[]; remove?: string[] }) =>
    api('POST', `${folderPath(address, folder)}/flags`, { body: { uids, ...change } }),
  /** Into Junk (`junk`) or out of it into the inbox; the move teaches the platform's filter. */
  junk: (address: string, folder: string, uids: number[], junk: boolean) =>
    api<{ to: string }>('POST', `${folderPath(address, folder)}/junk`, { body: { uids, junk } }),
  move: (address: string, folder: string, uids: number[], to: string) =>
    api('POST', `${folderPath(address, folder)}/move`, { body: { uids, to } }),
  remove: (address: string, folder: string, uids: number[], permanent = false) =>
    api<{ result: 'trash' | 'expunged' }>('POST', `${folderPath(address, folder)}/delete`, {
      body: { uids, permanent },
    }),
  /** The Trash or Junk emptied for good; `messages` is the count the owner confirmed. */
  empty: (address: string, folder: string, messages: number) =>
    api<{ deleted: number }>('POST', `${folderPath(address, folder)}/empty`, { body: { messages } }),
  append: (address: string, folder: string, raw: Uint8Array, flags: string[], replace?: number | null) => {
    const query = new URLSearchParams({ flags: flags.join(',') });
    if (replace) query.set('replace', String(replace));
    return postMessage<{ uid: number | null }>(`${folderPath(address, folder)}/messages?${query}`, raw);
  },
  send: (address: string, raw: Uint8Array) =>
    postMessage<{ messageId: string | null; recipients: number }>(`${base(address)}/send`, raw),
  settings: (address: string) => api<MailSettings>('GET', `${base(address)}/identities`),
  recipientKeys: (address: string, addresses: string[]) =>
    api<{ keys: Record<string, RecipientKey | null> }>('POST', `${base(address)}/recipient-keys`, {
      body: { addresses },
    }),
  preferences: (address: string) =>
    api<{ blob: string | null; updatedAt: string | null }>('GET', `${base(address)}/preferences`),
  savePreferences: (address: string, blob: string) =>
    api('PUT', `${base(address)}/preferences`, { body: { blob } }),
  /** Where the reader's allowed remote images come from: the server, never the sender's host. */
  remoteUrl: (address: string, url: string) =>
    `/api/v1${base(address)}/remote?url=${encodeURIComponent(url)}`,
  eventsUrl: (address: string, folder: string) =>
    `/api/v1${base(address)}/events?folder=${encodeURIComponent(folder)}`,
};
