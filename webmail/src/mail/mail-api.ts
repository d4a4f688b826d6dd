import { api } from '../shell/api';

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
  from: Array<{ name: string; address: string }>;
  to: Array<{ name: string; address: string }>;
  messageId: string | null;
  encrypted: boolean;
}

export interface Page {
  total: number;
  messages: Summary[];
  next: number | null;
  highestModseq: string | null;
}

const base = (address: string) => `/mail/${encodeURIComponent(address)}`;
const folderPath = (address: string, folder: string) =>
  `${base(address)}/folders/${encodeURIComponent(folder)}`;

export const mailApi = {
  folders: (address: string) => api<{ folders: Folder[] }>('GET', `${base(address)}/folders`),
  page: (address: string, folder: string, q: { anchor?: number; q?: string } = {}) => {
    const query = new URLSearchParams({ limit: '50' });
    if (q.anchor) query.set('anchor', String(q.anchor));
    if (q.q) query.set('q', q.q);
    return api<Page>('GET', `${folderPath(address, folder)}/messages?${query}`);
  },
  flags: (address: string, folder: string, uids: number[], change: { add?: string[]; remove?: string[] }) =>
    api('POST', `${folderPath(address, folder)}/flags`, { body: { uids, ...change } }),
  settings: (address: string) =>
    api<{
      encryptionMode: string;
      maxMessageBytes: number;
      identities: Array<{ address: string; name: string }>;
    }>('GET', `${base(address)}/identities`),
};
