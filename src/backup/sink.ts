import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** What a file added to a backup turned out to be. */
export interface Added {
  size: number;
  sha256: string;
}

/** Where a backup is written: a directory, or a tar stream (stdout, for borg). */
export interface BackupSink {
  readonly target: 'directory' | 'stream';
  /**
   * Adds the file at `source` as `name`. Returns undefined when it vanished before it could be
   * opened (a message expunged meanwhile). `link`: the file never changes once written (a mail
   * message), so a directory may hard-link it rather than copy it.
   */
  addFile(name: string, source: string, opts?: { link?: boolean }): Promise<Added | undefined>;
  addBuffer(name: string, data: Buffer): Promise<void>;
  /** Bytes written so far. */
  bytes: number;
  finish(): Promise<void>;
}

/** Counts and hashes what passes through. */
function hasher() {
  const hash = crypto.createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, result: (): Added => ({ size, sha256: hash.digest('hex') }) };
}

const vanished = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * A tar stream (POSIX ustar with PAX headers for long names, as tar-stream writes it), which
 * `borg import-tar` stores member by member.
 */
export class TarSink implements BackupSink {
  readonly target = 'stream' as const;
  private readonly pack = tar.pack();
  private readonly piped: Promise<void>;
  bytes = 0;

  constructor(out: Writable) {
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.bytes += chunk.length;
        cb(null, chunk);
      },
    });
    this.piped = pipeline(this.pack, counter, out);
    // Surfaced by finish(); without a handler a failure before it would be unhandled.
    this.piped.catch(() => undefined);
  }

  async addFile(name: string, source: string): Promise<Added | undefined> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(source, 'r');
    } catch (e) {
      if (vanished(e)) return undefined;
      throw e;
    }
    try {
      // The open descriptor keeps the file's content even if it is renamed or removed now.
      const st = await handle.stat();
      if (st.size === 0) {
        await this.addBuffer(name, Buffer.alloc(0), st.mode & 0o7777, st.mtime);
        return { size: 0, sha256: crypto.createHash('sha256').digest('hex') };
      }
      const h = hasher();
      const entry = this.pack.entry({ name, size: st.size, mode: st.mode & 0o7777, mtime: st.mtime });
      await pipeline(
        handle.createReadStream({ start: 0, end: st.size - 1, autoClose: false }),
        h.stream,
        entry,
      );
      const added = h.result();
      if (added.size !== st.size) throw new Error(`${source} changed while it was read`);
      return added;
    } finally {
      await handle.close();
    }
  }

  async addBuffer(name: string, data: Buffer, mode = 0o600, mtime = new Date()): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.pack.entry({ name, size: data.length, mode, mtime }, data, (e) => (e ? reject(e) : resolve())),
    );
  }

  async finish(): Promise<void> {
    this.pack.finalize();
    await this.piped;
  }
}

/** A directory holding the same layout; mail files are hard-linked when on the same file system. */
export class DirSink implements BackupSink {
  readonly target = 'directory' as const;
  bytes = 0;

  constructor(private readonly dir: string) {}

  private async prepare(name: string): Promise<string> {
    const dest = path.join(this.dir, name);
    await fsp.mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
    return dest;
  }

  async addFile(name: string, source: string, opts: { link?: boolean } = {}): Promise<Added | undefined> {
    const dest = await this.prepare(name);
    try {
      if (opts.link) {
        try {
          await fsp.link(source, dest);
          const added = await hashFile(dest);
          this.bytes += added.size;
          return added;
        } catch (e) {
          if (vanished(e)) return undefined;
          if (!['EXDEV', 'EPERM'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
        }
      }
      const st = await fsp.stat(source);
      const h = hasher();
      await pipeline(
        fs.createReadStream(source),
        h.stream,
        fs.createWriteStream(dest, { mode: st.mode & 0o777 }),
      );
      await fsp.utimes(dest, st.atime, st.mtime);
      const added = h.result();
      this.bytes += added.size;
      return added;
    } catch (e) {
      if (vanished(e)) return undefined;
      throw e;
    }
  }

  async addBuffer(name: string, data: Buffer): Promise<void> {
    await fsp.writeFile(await this.prepare(name), data, { mode: 0o600 });
    this.bytes += data.length;
  }

  async finish(): Promise<void> {}
}

export async function hashFile(file: string): Promise<Added> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}
