/// <reference lib="webworker" />
import type { Composed, CryptoApi, OpenedMessage, Request, Response } from './protocol';
import { WorkerError } from './worker/api';
import { compose, openPreferences, sealPreferences } from './worker/compose';
import { forgetKeys, restore, unlock, unlockedKeys } from './worker/keys';
import { openMessage } from './worker/open-message';
import { forgetIndex, indexFolder, indexOpened, onIndexProgress, searchIndex } from './worker/search-index';

const post = (message: Response, transfer: Transferable[] = []) =>
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(message, transfer);
onIndexProgress((progress) => post({ progress }));

/**
 * The webmail's keys live here and only here: the page sends a password once, gets back a blob
 * it cannot open, and asks for messages by UID. Nothing this Worker answers contains key material.
 */
const handlers: CryptoApi = {
  unlock: ({ address, password }) => unlock(address, password),
  restore: ({ address, blob }) => restore(address, blob),
  isUnlocked: async () => unlockedKeys().length > 0,
  open: async ({ address, folder, uid }) => {
    const message = await openMessage(address, folder, uid);
    await indexOpened(address, folder, uid, message).catch(() => undefined);
    return message;
  },
  compose,
  sealPreferences: ({ json }) => sealPreferences(json),
  openPreferences: ({ blob }) => openPreferences(blob, unlockedKeys()),
  indexFolder: ({ address, folder }) => indexFolder(address, folder),
  search: ({ address, query }) => searchIndex(address, query),
  lock: async () => {
    forgetIndex();
    forgetKeys();
  },
};

/** Large buffers move to the page instead of being copied. */
function transferables(op: keyof CryptoApi, result: unknown): Transferable[] {
  if (op === 'open') return (result as OpenedMessage).attachments.map((a) => a.content);
  if (op === 'compose') {
    const c = result as Composed;
    return [c.outgoing.buffer, c.copy.buffer];
  }
  return [];
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const { id, op, args } = event.data;
  let reply: Response;
  let transfer: Transferable[] = [];
  try {
    const result = await (handlers[op] as (a: unknown) => Promise<unknown>)(args);
    reply = { id, ok: true, result };
    transfer = transferables(op, result);
  } catch (e) {
    const code = e instanceof WorkerError ? e.code : 'crypto_failed';
    reply = { id, ok: false, error: { code, message: (e as Error).message } };
  }
  post(reply, transfer);
};
