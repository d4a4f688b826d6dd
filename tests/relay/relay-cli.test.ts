import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { createTestDatabase } from '../support/db';

describe('giroflee relay', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    t = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-relay-cli-'));
    process.env.DATABASE_URL = t.url;
    process.env.GIROFLEE_DATA_DIR = dir;
  });
  afterAll(async () => {
    process.env = saved;
    fs.rmSync(dir, { recursive: true, force: true });
    await t.destroy();
  });

  async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
    let out = '';
    let err = '';
    const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    process.exitCode = 0;
    try {
      await buildProgram()
        .exitOverride()
        .parseAsync(['node', 'giroflee', ...args]);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { out, err, code };
  }

  it('adds relays and lists them in routing order as JSON', async () => {
    const added = await run(
      'relay',
      'add',
      'exit-1',
      '--kind',
      'smarthost',
      '--host',
      'relay.example.net',
      '--port',
      '465',
      '--tls',
      'implicit',
      '--sending-ip',
      '192.0.2.10',
      '--json',
    );
    expect(added.code).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({
      name: 'exit-1',
      tlsMode: 'implicit',
      sendingIps: ['192.0.2.10'],
    });
    expect((await run('relay', 'add', 'mx', '--kind', 'direct', '--role', 'fallback')).code).toBe(0);
    const list = JSON.parse((await run('relay', 'list', '--json')).out);
    expect(list.items.map((r: any) => [r.name, r.role])).toEqual([
      ['exit-1', 'primary'],
      ['mx', 'fallback'],
    ]);
  });

  it('refuses plain SMTP to a remote host with a clear message, in French and English', async () => {
    const res = await run(
      'relay',
      'add',
      'bad',
      '--kind',
      'smarthost',
      '--host',
      'relay.example.net',
      '--port',
      '25',
      '--tls',
      'none',
    );
    expect(res.code).toBe(1);
    expect(res.err).toContain('Requête invalide.');
    expect(res.err).toContain('relay_plain_not_loopback');
    expect(JSON.parse((await run('relay', 'list', '--json')).out).items).toHaveLength(2);
  });

  it('sets, promotes, drains and removes, each audited', async () => {
    expect(JSON.parse((await run('relay', 'set', 'exit-1', '--priority', '7', '--json')).out).priority).toBe(
      7,
    );
    expect(JSON.parse((await run('relay', 'promote', 'mx', '--json')).out)).toMatchObject({
      role: 'primary',
      priority: 6,
    });
    expect(JSON.parse((await run('relay', 'drain', 'exit-1', '--json')).out).state).toBe('draining');
    expect((await run('relay', 'remove', 'exit-1')).out).toContain('relay exit-1 removed');
    expect((await run('relay', 'remove', 'exit-1')).code).toBe(1);
    const actions = (await t.db('audit_log').orderBy('id').select('action', 'actor_label')).map(
      (a: any) => a.action,
    );
    expect(actions).toEqual([
      'relay.create',
      'relay.create',
      'relay.update',
      'relay.promote',
      'relay.drain',
      'relay.delete',
    ]);
  });
});
