import type { ImapFlow } from 'imapflow';
import { errors } from '../errors';

/**
 * "This is junk" / "this is not junk", from the webmail's button: the selected messages move
 * into the Junk folder, or out of it into the inbox. The move is the whole report: Dovecot's
 * imapsieve sees a message arrive in (or leave) Junk and hands the clear X-Giroflee-Digest
 * headers that rspamd computed before encryption to rspamd's fuzzy storage, exactly as for a
 * member who drags the message in a desktop client. The server never reads the encrypted body.
 */
export async function markJunk(
  client: ImapFlow,
  folder: string,
  uids: number[],
  junk: boolean,
): Promise<{ to: string; uidMap: Record<string, number> }> {
  const folders = await client.list();
  const junkPath = folders.find((f) => f.specialUse === '\\Junk')?.path ?? 'Junk';
  const to = junk ? junkPath : 'INBOX';
  if (junk === (folder === junkPath)) {
    throw errors.badRequest(junk ? 'already_junk' : 'not_in_junk', {
      fr: junk
        ? 'Ces messages sont déjà dans les indésirables.'
        : 'Ces messages ne sont pas dans les indésirables.',
      en: junk ? 'These messages are already in Junk.' : 'These messages are not in Junk.',
    });
  }
  if (!folders.some((f) => f.path === to)) await client.mailboxCreate(to);
  const result = await client.messageMove(uids.join(','), to, { uid: true });
  return { to, uidMap: result ? Object.fromEntries(result.uidMap ?? new Map()) : {} };
}
