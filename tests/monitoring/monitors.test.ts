import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listAlerts } from '../../src/alerts/alerts';
import { raiseAlert } from '../../src/alerts/raise-alert';
import type { Notifier } from '../../src/context';
import { monitorTick } from '../../src/monitoring/component';
import { createTestContext, TestContext } from '../support/context';
import { makeCollective, makeDkimKeys, makeDomain, makeRacine } from '../support/factories';

type Mail = Parameters<Notifier['send']>[0];
const DAY = 24 * 3600_000;

describe('monitors', () => {
  let ctx: TestContext;
  let dir: string;
  let certFile: string;
  let certExpires: Date;
  const mails: Mail[] = [];

  const firing = async (kind: string) =>
    (await listAlerts(ctx, { state: 'firing', limit: 100 })).filter((a) => a.kind === kind);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'giroflee-monitor-'));
    certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '90',
      ].concat(['-subj', '/CN=mail.giroflee.test', '-keyout', path.join(dir, 'key.pem'), '-out', certFile]),
      { stdio: 'ignore' },
    );
    certExpires = new Date(new crypto.X509Certificate(fs.readFileSync(certFile)).validTo);
    ctx = await createTestContext((d) => ({
      dataDir: dir,
      alerts: { email: true, emailTo: [], webhook: undefined },
      monitor: {
        ...d.monitor,
        nodeName: 'node-a',
        certFiles: [certFile],
        postfixConfigDir: path.join(dir, 'no-postfix'),
      },
    }));
    ctx.notifier = { send: async (m) => void mails.push(m) };
    await makeRacine(ctx);
  });
  afterAll(async () => {
    await ctx.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('raises a critical alert when the data directory’s disk is fuller than the threshold, and resolves it', async () => {
    ctx.clock.set(new Date(certExpires.getTime() - 60 * DAY));
    ctx.config = { ...ctx.config, monitor: { ...ctx.config.monitor, diskAlertPercent: 1 } };
    await monitorTick(ctx);
    const [alert] = await firing('disk_full');
    expect(alert).toMatchObject({ subject: `node-a:${dir}`, severity: 'critical' });
    expect(alert.text.en).toMatch(new RegExp(`The file system of ${dir} is [\\d.]+% full`));
    expect(mails.some((m) => m.subject.includes('Alerte : Disque presque plein sur node-a'))).toBe(true);

    ctx.config = { ...ctx.config, monitor: { ...ctx.config.monitor, diskAlertPercent: 100 } };
    await monitorTick(ctx);
    expect(await firing('disk_full')).toHaveLength(0);
    expect(mails.some((m) => m.subject.includes('Résolu : Disque presque plein sur node-a'))).toBe(true);
  });

  it('leaves the alerts of another node’s disk to that node', async () => {
    await raiseAlert(ctx, {
      kind: 'disk_full',
      subject: 'node-b:/var/lib/giroflee',
      title: { fr: 'Disque', en: 'Disk' },
      text: { fr: 'plein', en: 'full' },
    });
    await monitorTick(ctx);
    expect((await firing('disk_full')).map((a) => a.subject)).toEqual(['node-b:/var/lib/giroflee']);
  });

  it('warns 14 days before a certificate expires, then critically, and resolves once renewed', async () => {
    ctx.clock.set(new Date(certExpires.getTime() - 20 * DAY));
    await monitorTick(ctx);
    expect(await firing('tls_expiring')).toHaveLength(0);

    ctx.clock.set(new Date(certExpires.getTime() - 10 * DAY));
    await monitorTick(ctx);
    const [warning] = await firing('tls_expiring');
    expect(warning).toMatchObject({ subject: `node-a:${certFile}`, severity: 'warning' });
    expect(warning.text.en).toContain(`expires on ${certExpires.toISOString().slice(0, 10)}`);

    // Already announced: getting closer changes the wording, not the number of messages.
    const about = () => mails.filter((m) => m.subject.includes('Certificat')).length;
    const before = about();
    ctx.clock.set(new Date(certExpires.getTime() - 1 * DAY));
    await monitorTick(ctx);
    expect((await firing('tls_expiring'))[0].severity).toBe('critical');
    expect(about()).toBe(before);

    ctx.clock.set(new Date(certExpires.getTime() - 80 * DAY));
    await monitorTick(ctx);
    expect(await firing('tls_expiring')).toHaveLength(0);
  });

  it('alerts on a domain whose working DNS set-up broke, not on one never set up', async () => {
    const c = await makeCollective(ctx);
    const broke = await makeDomain(ctx, { collectiveId: c.id, status: 'active' });
    const never = await makeDomain(ctx, { collectiveId: c.id, status: 'active' });
    await ctx.db('domain_dns_state').insert([
      { domain_id: broke.id, definite_status: 'error', notice_due: false, notified_at: ctx.now() },
      { domain_id: never.id, definite_status: 'error', notice_due: false },
    ]);
    await monitorTick(ctx);
    expect((await firing('domain_broken')).map((a) => a.subject)).toEqual([broke.name]);

    await ctx.db('domain_dns_state').where({ domain_id: broke.id }).update({ definite_status: 'ok' });
    await monitorTick(ctx);
    expect(await firing('domain_broken')).toHaveLength(0);
  });

  it('alerts on a DKIM rotation whose new key waits more than 7 days for its record', async () => {
    const c = await makeCollective(ctx);
    const d = await makeDomain(ctx, { collectiveId: c.id, status: 'active' });
    await makeDkimKeys(ctx, d.id);
    await ctx.db('dkim_keys').where({ domain_id: d.id }).update({ state: 'active', activated_at: ctx.now() });
    await ctx.db('dkim_keys').insert({
      domain_id: d.id,
      selector: 'g2',
      algorithm: 'rsa',
      public_key: 'AAAA',
      private_key: 'v1:x:y:z',
      state: 'pending',
      created_at: new Date(ctx.now().getTime() - 3 * DAY),
    });
    await monitorTick(ctx);
    expect(await firing('dkim_rotation_stuck')).toHaveLength(0);

    ctx.clock.advance(5 * DAY);
    await monitorTick(ctx);
    expect((await firing('dkim_rotation_stuck')).map((a) => a.subject)).toEqual([`${d.name}/g2`]);
  });

  it('alerts when no backup finished for 26 hours, and resolves once one does', async () => {
    const backup = (finished: Date) => ({
      started_at: finished,
      finished_at: finished,
      node: 'node-a',
      target: 'stream',
      database_rows: 1,
      mail_files: 1,
      bytes: 1,
    });
    await ctx.db('backups').insert(backup(new Date(ctx.now().getTime() - 27 * 3600_000)));
    await monitorTick(ctx);
    const [alert] = await firing('backup_missing');
    expect(alert.text.en).toMatch(/^The last complete backup finished at .* \(more than 26 h ago\)/);

    await ctx.db('backups').insert(backup(new Date(ctx.now().getTime() - 3600_000)));
    await monitorTick(ctx);
    expect(await firing('backup_missing')).toHaveLength(0);
  });
});
