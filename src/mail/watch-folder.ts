import type { ImapFlow } from 'imapflow';
import { logoutOrClose } from './imap-pool';

export interface FolderState {
  folder: string;
  /** HIGHESTMODSEQ (RFC 7162): the push stream's event id, so a reconnect can resume. */
  modseq: string;
  messages: number;
  unseen: number;
}

/**
 * Watches one folder on its own connection: imapflow IDLEs (RFC 2177) whenever the folder is
 * selected and nothing else runs, and reports EXISTS, EXPUNGE and FETCH FLAGS. Bursts (a move of
 * 200 messages) are merged into one report of the folder's new state.
 */
export async function watchFolder(
  client: ImapFlow,
  folder: string,
  onChange: (state: FolderState) => void,
): Promise<{ state: FolderState; stop(): Promise<void> }> {
  await client.mailboxOpen(folder, { readOnly: true });
  const read = async (): Promise<FolderState> => {
    const s = await client.status(folder, { messages: true, unseen: true, highestModseq: true });
    return {
      folder,
      modseq: (s && s.highestModseq?.toString()) || '0',
      messages: (s && s.messages) || 0,
      unseen: (s && s.unseen) || 0,
    };
  };
  let timer: NodeJS.Timeout | undefined;
  let last = await read();
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const next = await read();
        if (next.modseq !== last.modseq || next.messages !== last.messages) {
          last = next;
          onChange(next);
        }
      } catch {
        // The connection went away; the stream's owner sees it close.
      }
    }, 150);
  };
  for (const event of ['exists', 'expunge', 'flags']) client.on(event, changed);
  return {
    state: last,
    async stop() {
      clearTimeout(timer);
      for (const event of ['exists', 'expunge', 'flags']) client.off(event, changed);
      await logoutOrClose(client);
    },
  };
}
