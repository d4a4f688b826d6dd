import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { publishHyperscanCache, seedHyperscanCache } from '../../src/mailstack/hyperscan-cache';

describe('the shared Hyperscan cache of rspamd', () => {
  let root: string;
  let shared: string;
  let own: string;
  const list = async (dir: string) => (await fs.readdir(dir)).sort();

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'giroflee-hs-cache-'));
    shared = path.join(root, 'shared');
    own = path.join(root, 'own');
    await fs.mkdir(own);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('seeds a stack with the whole databases it lacks, never with files rspamd is still writing', async () => {
    await fs.mkdir(shared);
    await fs.writeFile(path.join(shared, 'ab12.hs'), 'regexps');
    await fs.writeFile(path.join(shared, 'cd34.hsmp'), 'suffixes');
    await fs.writeFile(path.join(shared, 'ef56.hsmp.tmp'), 'half');
    await fs.writeFile(path.join(own, 'cd34.hsmp'), 'its own');
    await seedHyperscanCache(shared, own);
    expect(await list(own)).toEqual(['ab12.hs', 'cd34.hsmp']);
    expect(await fs.readFile(path.join(own, 'cd34.hsmp'), 'utf8')).toBe('its own');
  });

  it('seeds copies every user can read, whatever the mode rspamd wrote the shared one with', async () => {
    await fs.mkdir(shared);
    await fs.writeFile(path.join(shared, 'ab12.hs'), 'regexps', { mode: 0o600 });
    await seedHyperscanCache(shared, own);
    expect((await fs.stat(path.join(own, 'ab12.hs'))).mode & 0o777).toBe(0o644);
  });

  it('seeds nothing when no stack shared anything yet', async () => {
    await seedHyperscanCache(shared, own);
    expect(await list(own)).toEqual([]);
  });

  it('publishes the new databases under their final names only, leaving the shared ones alone', async () => {
    await fs.mkdir(shared);
    await fs.writeFile(path.join(shared, 'ab12.hs'), 'first');
    await fs.writeFile(path.join(own, 'ab12.hs'), 'second');
    await fs.writeFile(path.join(own, '9f00.hsmc'), 'maps');
    await fs.writeFile(path.join(own, '77aa.12345.hs.new'), 'half');
    await fs.writeFile(path.join(own, 'rspamd.sock'), '');
    await publishHyperscanCache(own, shared);
    expect(await list(shared)).toEqual(['9f00.hsmc', 'ab12.hs']);
    expect(await fs.readFile(path.join(shared, 'ab12.hs'), 'utf8')).toBe('first');
    expect(await fs.readFile(path.join(shared, '9f00.hsmc'), 'utf8')).toBe('maps');
  });

  it('creates the shared folder on first publication', async () => {
    await fs.writeFile(path.join(own, 'ab12.hsmp'), 'suffixes');
    await publishHyperscanCache(own, shared);
    expect(await list(shared)).toEqual(['ab12.hsmp']);
  });
});
