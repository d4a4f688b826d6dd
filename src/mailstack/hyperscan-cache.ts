import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * rspamd compiles its regular expressions and its list of public suffixes into Hyperscan
 * databases at start: over a minute of CPU on a busy machine, every time, unless it finds them in
 * its cache folder (`hs_cache_dir`). A stack under a lasting data directory keeps its own cache;
 * stacks in throw-away folders (tests, benches) share one folder between them.
 *
 * rspamd itself must never write into a shared folder: it names its temporary files after the
 * database alone (two starts would write the same one) and its helper removes files it does not
 * recognise (another configuration's). So each stack keeps a private cache, seeded from the shared
 * folder before rspamd starts; what it compiled is published back file by file, each copied under
 * a name of its own and then renamed, so that a reader sees a whole file or none.
 */

/** The folder stacks in throw-away folders share on this machine (tests, benches). */
export const SHARED_HYPERSCAN_CACHE = path.join(os.tmpdir(), 'giroflee-rspamd-hyperscan');

/** Complete databases: rspamd writes `*.tmp` or `*.new` first and renames them when whole. */
const DATABASE = /^[0-9a-f]+\.hs(mp|mc)?$/;

async function databases(dir: string): Promise<Set<string>> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return new Set(names.filter((n) => DATABASE.test(n)));
}

/** Copies into `own` the shared databases it lacks. */
export async function seedHyperscanCache(shared: string, own: string): Promise<void> {
  const have = await databases(own);
  for (const name of await databases(shared)) {
    if (have.has(name)) continue;
    await fs.copyFile(path.join(shared, name), path.join(own, name));
    // rspamd writes some databases for its own user only (0600); the copy here is root's, and
    // rspamd, under its own user, must read it or it compiles the database again. Public rules.
    await fs.chmod(path.join(own, name), 0o644);
  }
}

/** Publishes into `shared` the databases of `own` it lacks. */
export async function publishHyperscanCache(own: string, shared: string): Promise<void> {
  await fs.mkdir(shared, { recursive: true, mode: 0o755 });
  const there = await databases(shared);
  for (const name of await databases(own)) {
    if (there.has(name)) continue;
    const temporary = path.join(shared, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    try {
      await fs.copyFile(path.join(own, name), temporary);
      await fs.rename(temporary, path.join(shared, name));
    } catch (e) {
      await fs.rm(temporary, { force: true });
      // rspamd's helper may have removed a database it replaced: nothing to share then.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
