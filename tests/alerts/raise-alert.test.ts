import knex, { Knex } from 'knex';
import { register } from 'prom-client';
import { alertsComponent, NO_CHANNEL_WARNING } from '../../src/alerts/component';
import { deliverPendingAlerts } from '../../src/alerts/deliver-alert';
import { listAlerts } from '../../src/alerts/alerts';
import { raiseAlert, reconcileAlerts, resolveAlert, type AlertInput } from '../../src/alerts/raise-alert';
import { loadConfig } from '../../src/config';
import type { AppContext, Notifier } from '../../src/context';
import { logger } from '../../src/logger';
import { createTestContext, TestContext } from '../support/context';
import { makeRacine } from '../support/factories';
import { startWebhookSink, WebhookSink } from '../support/webhook-sink';

type Mail = Parameters<Notifier['send']>[0];

const relayDown = (subject: string): AlertInput => ({
  kind: 'relay_down',
  subject,
  severity: 'critical',
  title: { fr: `Relais ${subject} en panne`, en: `Relay ${subject} is down` },
  text: { fr: 'Il ne répond plus.', en: 'It no longer answers.' },
});

describe('alerts to the racines', () => {
  let ctx: TestContext;
  let sink: WebhookSink;
  const mails: Mail[] = [];
  let failMail = 0;
  let racine: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    sink = await startWebhookSink();
    ctx.config = { ...ctx.config, alerts: { email: true, emailTo: [], webhook: sink.url } };
    ctx.notifier = {
      async send(m) {
        if (failMail > 0) {
          failMail--;
          throw new Error('451 try later');
        }
        mails.push(m);
      },
    };
    racine = (await makeRacine(ctx)).account.email;
  });
  afterAll(async () => {
    await sink.close();
    await ctx.destroy();
  });
  beforeEach(async () => {
    mails.length = 0;
    sink.received.length = 0;
    await ctx.db('alerts').del();
  });

  it('announces a new alert once on each channel, however often it is raised', async () => {
    expect(await raiseAlert(ctx, relayDown('r1'))).toBe(true);
    expect(await raiseAlert(ctx, relayDown('r1'))).toBe(false);
    ctx.clock.advance(60_000);
    expect(await raiseAlert(ctx, relayDown('r1'))).toBe(false);

    expect(mails).toHaveLength(1);
    expect(mails[0].to).toEqual([racine]);
    expect(mails[0].subject).toBe(
      `[${ctx.config.platformHostname}] Alerte : Relais r1 en panne / [${ctx.config.platformHostname}] Alert: Relay r1 is down`,
    );
    expect(mails[0].text).toMatch(/Il ne répond plus\.[\s\S]*-- English --[\s\S]*It no longer answers\./);
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0].path).toBe('/hooks/s3cr3t-token');
    expect(sink.received[0].body.text).toMatch(
      /^🚨 .*Alerte : Relais r1 en panne[\s\S]*Alert: Relay r1 is down/,
    );
    const [row] = await listAlerts(ctx, { limit: 10 });
    expect(row).toMatchObject({ key: 'relay_down:r1', state: 'firing', delivered: true });
    expect(row.last_seen_at).toEqual(ctx.clock.now());
  });

  it('links an alert to the console screen where a racine deals with it, and a mailbox alert to none', async () => {
    await raiseAlert(ctx, relayDown('relais-1'));
    await raiseAlert(ctx, {
      kind: 'sending_limit',
      subject: 'b6f1c7e2',
      title: { fr: 'Limite', en: 'Limit' },
      text: { fr: 'Une boîte.', en: 'A mailbox.' },
    });
    const relayScreen = `${ctx.config.publicUrl}/console/racine/relays/relais-1`;
    expect(mails[0].text).toContain(`Dans la console : ${relayScreen}`);
    expect(mails[0].text).toContain(`In the console: ${relayScreen}`);
    expect(sink.received[0].body.text).toContain(relayScreen);
    expect(mails[1].text).not.toContain('/console');
  });

  it('announces the same condition once when two giroflee copies raise it at the same moment', async () => {
    const other: Knex = knex({ client: 'pg', connection: ctx.databaseUrl, pool: { min: 0, max: 4 } });
    try {
      const second: AppContext = { ...ctx, db: other };
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => raiseAlert(i % 2 ? second : ctx, relayDown('r2'))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(mails).toHaveLength(1);
      expect(sink.received).toHaveLength(1);
    } finally {
      await other.destroy();
    }
  });

  it('tells each channel when the alert is resolved, and how long it lasted', async () => {
    await raiseAlert(ctx, relayDown('r3'));
    ctx.clock.advance(3 * 3600_000);
    expect(
      await resolveAlert(
        ctx,
        { kind: 'relay_down', subject: 'r3' },
        { fr: 'Le relais répond de nouveau.', en: 'The relay answers again.' },
      ),
    ).toBe(true);
    expect(await resolveAlert(ctx, { kind: 'relay_down', subject: 'r3' })).toBe(false);

    expect(mails).toHaveLength(2);
    expect(mails[1].subject).toContain('Résolu : Relais r3 en panne');
    expect(mails[1].text).toContain('Le relais répond de nouveau.');
    expect(mails[1].text).toContain('a duré 3 h');
    expect(sink.received).toHaveLength(2);
    expect(sink.received[1].body.text).toMatch(/^✅ .*Résolu : Relais r3 en panne[\s\S]*lasted 3 h/);
  });

  it('sends nothing to resolve an alert that was not firing', async () => {
    expect(await resolveAlert(ctx, { kind: 'relay_down', subject: 'never' })).toBe(false);
    expect(mails).toHaveLength(0);
    expect(sink.received).toHaveLength(0);
  });

  it('announces a condition again when it comes back after being resolved', async () => {
    await raiseAlert(ctx, relayDown('r4'));
    await resolveAlert(ctx, { kind: 'relay_down', subject: 'r4' });
    expect(await raiseAlert(ctx, relayDown('r4'))).toBe(true);
    expect(mails.map((m) => m.subject.split(' / ')[0].replace(/^\[[^\]]+\] /, ''))).toEqual([
      'Alerte : Relais r4 en panne',
      'Résolu : Relais r4 en panne',
      'Alerte : Relais r4 en panne',
    ]);
    expect(sink.received).toHaveLength(3);
  });

  it('retries a channel that failed, later, without telling the others twice', async () => {
    sink.failNext(1);
    await raiseAlert(ctx, relayDown('r5'));
    expect(mails).toHaveLength(1);
    expect(sink.received).toHaveLength(0);

    // Not due yet: the first retry waits a minute.
    expect(await deliverPendingAlerts(ctx)).toBe(0);
    ctx.clock.advance(61_000);
    expect(await deliverPendingAlerts(ctx)).toBe(1);
    expect(sink.received).toHaveLength(1);
    expect(mails).toHaveLength(1);
    ctx.clock.advance(3600_000);
    expect(await deliverPendingAlerts(ctx)).toBe(0);
  });

  it('tells a resolution only to the channels that heard the alert', async () => {
    failMail = 1;
    await raiseAlert(ctx, relayDown('r6'));
    expect(mails).toHaveLength(0);
    expect(sink.received).toHaveLength(1);
    await resolveAlert(ctx, { kind: 'relay_down', subject: 'r6' });
    expect(sink.received).toHaveLength(2);
    ctx.clock.advance(3600_000);
    await deliverPendingAlerts(ctx);
    expect(mails).toHaveLength(0);
    const [row] = await listAlerts(ctx, { limit: 1 });
    expect(row).toMatchObject({ state: 'resolved', delivered: true });
  });

  it('reconciles a family: raises what a check found, resolves what it no longer finds', async () => {
    await reconcileAlerts(ctx, 'relay_down', [relayDown('a'), relayDown('b')]);
    await reconcileAlerts(ctx, 'relay_down', [relayDown('b')]);
    const rows = await listAlerts(ctx, { limit: 10 });
    expect(Object.fromEntries(rows.map((r) => [r.key, r.state]))).toEqual({
      'relay_down:a': 'resolved',
      'relay_down:b': 'firing',
    });
    expect(sink.received.map((r) => r.body.text.split('\n')[0])).toEqual([
      expect.stringContaining('Alerte : Relais a en panne'),
      expect.stringContaining('Alerte : Relais b en panne'),
      expect.stringContaining('Résolu : Relais a en panne'),
    ]);
  });

  it('e-mails the configured list instead of the racines when GIROFLEE_ALERT_EMAIL_TO is set', async () => {
    const { emailTo } = loadConfig({
      GIROFLEE_ALERT_EMAIL_TO: 'ops@asso.example, Astreinte@asso.example',
    }).alerts;
    await raiseAlert(
      { ...ctx, config: { ...ctx.config, alerts: { ...ctx.config.alerts, emailTo } } },
      relayDown('r8'),
    );
    expect(mails[0].to).toEqual(['ops@asso.example', 'astreinte@asso.example']);
  });

  it('refuses a webhook that is not an http(s) URL', () => {
    expect(() => loadConfig({ GIROFLEE_ALERT_WEBHOOK: 'mattermost.example/hooks/x' })).toThrow(
      /http\(s\) URL/,
    );
  });

  it('keeps the webhook token out of the log when the webhook fails', async () => {
    const errors = jest.spyOn(logger, 'error');
    try {
      sink.failNext(1);
      await raiseAlert(ctx, relayDown('r7'));
      const logged = JSON.stringify(errors.mock.calls);
      expect(logged).toContain('HTTP 500');
      expect(logged).not.toContain('s3cr3t-token');
    } finally {
      errors.mockRestore();
    }
  });
});

describe('alerts with no channel', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext((d) => ({ alerts: { ...d.alerts, webhook: undefined } }));
  });
  afterAll(() => ctx.destroy());

  it('warns at start and shows 0 channels in the metrics while nobody can be reached', async () => {
    const warn = jest.spyOn(logger, 'warn');
    try {
      const started = await alertsComponent.start(ctx);
      await started.stop();
      expect(JSON.stringify(warn.mock.calls)).toContain(NO_CHANNEL_WARNING.en);
    } finally {
      warn.mockRestore();
    }
    const metrics = await register.getSingleMetricAsString('giroflee_alert_channels');
    expect(metrics).toContain('giroflee_alert_channels{channel="email"} 0');
    expect(metrics).toContain('giroflee_alert_channels{channel="webhook"} 0');

    await makeRacine(ctx);
    const warnAgain = jest.spyOn(logger, 'warn');
    try {
      await (await alertsComponent.start(ctx)).stop();
      expect(JSON.stringify(warnAgain.mock.calls)).not.toContain(NO_CHANNEL_WARNING.en);
    } finally {
      warnAgain.mockRestore();
    }
    expect(await register.getSingleMetricAsString('giroflee_alert_channels')).toContain(
      'giroflee_alert_channels{channel="email"} 1',
    );
  });

  it('keeps an alert no channel could take, and delivers it once someone can be reached', async () => {
    const sent: Mail[] = [];
    const local = { ...ctx, notifier: { send: async (m: Mail) => void sent.push(m) } };
    await local.db('accounts').where({ is_racine: true }).del();
    await raiseAlert(local, relayDown('x'));
    expect(sent).toHaveLength(0);
    await makeRacine(local);
    ctx.clock.advance(61_000);
    await deliverPendingAlerts(local);
    expect(sent).toHaveLength(1);
  });
});
