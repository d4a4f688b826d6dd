import { onLogout } from '../../shell/session';
import type { CryptoApi, IndexProgress, Request, Response } from './protocol';

export class CryptoError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

let worker: Worker | undefined;
let seq = 0;
const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
const progressListeners = new Set<(p: IndexProgress) => void>();

/** Follows the local search index's progress; returns the unsubscribing function. */
export function onIndexProgress(listener: (p: IndexProgress) => void): () => void {
  progressListeners.add(listener);
  return () => progressListeners.delete(listener);
}

function start(): Worker {
  const w = new Worker(new URL('./crypto-worker.ts', import.meta.url), { type: 'module', name: 'crypto' });
  w.onmessage = (event: MessageEvent<Response>) => {
    if ('progress' in event.data) {
      for (const listener of progressListeners) listener(event.data.progress);
      return;
    }
    const p = pending.get(event.data.id);
    if (!p) return;
    pending.delete(event.data.id);
    if (event.data.ok) p.resolve(event.data.result);
    else p.reject(new CryptoError(event.data.error.code));
  };
  return w;
}

/** Logout ends the Worker, and the unlocked keys with it. */
onLogout(() => {
  worker?.terminate();
  worker = undefined;
  for (const p of pending.values()) p.reject(new CryptoError('locked'));
  pending.clear();
});

/** Calls the crypto Worker (started on first use). */
export function crypto<K extends keyof CryptoApi>(
  op: K,
  args: Parameters<CryptoApi[K]>[0],
): ReturnType<CryptoApi[K]> {
  worker ??= start();
  const id = ++seq;
  const w = worker;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, op, args } satisfies Request);
  }) as ReturnType<CryptoApi[K]>;
}

const BLOB = 'giroflee.mail.key';

export function storedBlob(): string | null {
  try {
    return sessionStorage.getItem(BLOB);
  } catch {
    return null;
  }
}

export function storeBlob(blob: string): void {
  try {
    sessionStorage.setItem(BLOB, blob);
  } catch {
    // Not kept: a reload will ask for the password again.
  }
}
