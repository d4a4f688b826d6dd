type Listener = (folder: string, uids: number[]) => void;
const listeners = new Set<Listener>();

/**
 * Messages this page moved out of a folder (junk, not junk): the list and the folder counts drop
 * them at once. The folder's push only counts messages, and a count going down says nothing of
 * which ones left.
 */
export function notifyMoved(folder: string, uids: number[]): void {
  for (const listener of listeners) listener(folder, uids);
}

export function onMoved(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
