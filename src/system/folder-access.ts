import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What a system user (postgres, postfix, vmail…) can reach. Daemons started as root drop to
 * their own user, who must traverse every folder above their files: a clone under a home in
 * mode 0700 (root's `~`) closes everything below it to them. giroflee asks the system, as that
 * user, rather than reasoning about modes, ACLs and groups itself.
 */

export interface Ids {
  uid: number;
  gid: number;
}

/** A user that does not exist yet gets only the "other" permission bits: probe as nobody. */
export const NOBODY: Ids = { uid: 65534, gid: 65534 };

export function systemUserIds(name: string): Ids | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * The ids of system user `name`, created when missing (as root): a system user with its own
 * group, no home and no shell, the way Debian's packages make theirs. Another process creating
 * it at the same moment is no failure: the user is looked up again afterwards.
 */
export function ensureSystemUser(name: string): Ids {
  const existing = systemUserIds(name);
  if (existing) return existing;
  const r = spawnSync(
    'useradd',
    [
      '--system',
      '--user-group',
      '--home-dir',
      '/nonexistent',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ],
    { encoding: 'utf8' },
  );
  const created = systemUserIds(name);
  if (!created) throw new Error(`could not create the system user "${name}": ${r.stderr || r.error}`);
  return created;
}

/** Whether `ids` may search (traverse) the folder, or execute the file, `target`. */
export function canReach(target: string, ids: Ids): boolean {
  return spawnSync('test', ['-x', target], { uid: ids.uid, gid: ids.gid, stdio: 'ignore' }).status === 0;
}

/** `dir` itself, or its closest ancestor that exists. */
export function nearestExisting(dir: string): string {
  let d = path.resolve(dir);
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Whether `ids` will reach `dir` once it is created (by root, with traversable modes). */
export function willReach(dir: string, ids: Ids): boolean {
  return canReach(nearestExisting(dir), ids);
}

/** The first folder on the way to `target` that `ids` cannot traverse (for messages). */
export function blockingFolder(target: string, ids: Ids): string {
  let d: string = path.parse(path.resolve(target)).root;
  for (const part of path.resolve(target).split(path.sep).filter(Boolean)) {
    if (!canReach(d, ids)) return d;
    const next = path.join(d, part);
    if (!fs.existsSync(next)) return d;
    d = next;
  }
  return d;
}

/** Creates the missing folders down to `dir` with `mode`, whatever the umask. */
export function mkdirTraversable(dir: string, mode: number): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    fs.mkdirSync(d);
    fs.chmodSync(d, mode);
  }
}
