import fsp from 'node:fs/promises';
import path from 'node:path';
import { isRebuiltByDovecot, MAIL_DIR, type MailFileEntry } from './manifest';
import type { BackupSink } from './sink';

/** Every regular file under `root` (relative paths, sorted), but Dovecot's rebuildable indexes. */
async function* walk(root: string, rel = ''): AsyncGenerator<string> {
  let entries;
  try {
    entries = await fsp.readdir(path.join(root, rel), { withFileTypes: true });
  } catch (e) {
    // A folder removed while we walk (a mailbox deleted): nothing left to keep.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) yield* walk(root, child);
    else if (e.isFile() && !isRebuiltByDovecot(e.name)) yield child;
  }
}

/**
 * Adds the mail store to the backup as it is on disk: for encrypted mailboxes, the PGP/MIME
 * Dovecot stores, so the backup holds no readable body. Message files never change once
 * written (Dovecot renames them to change flags), so each is read once through an open
 * descriptor; one renamed or expunged meanwhile is left out, as it would be a moment later.
 */
export async function addMailStore(
  root: string,
  sink: BackupSink,
): Promise<{ files: MailFileEntry[]; bytes: number }> {
  const files: MailFileEntry[] = [];
  let bytes = 0;
  if (!(await fsp.stat(root).catch(() => undefined))) return { files, bytes };
  for await (const rel of walk(root)) {
    const added = await sink.addFile(`${MAIL_DIR}/${rel}`, path.join(root, rel), { link: true });
    if (!added) continue;
    files.push({ path: rel, ...added });
    bytes += added.size;
  }
  return { files, bytes };
}
