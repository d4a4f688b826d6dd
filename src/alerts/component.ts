import { runPeriodically, type Component } from '../component';
import type { AppContext } from '../context';
import { logger } from '../logger';
import { alertMetrics } from '../metrics/metrics';
import { countFiring } from './alerts';
import { usableChannels } from './channels';
import { deliverPendingAlerts } from './deliver-alert';

const TICK_MS = 60_000;

/** The channel gauges and the count of firing alerts, read from the database every copy shares. */
export async function refreshAlertMetrics(ctx: AppContext): Promise<Record<'email' | 'webhook', boolean>> {
  const usable = await usableChannels(ctx);
  for (const [channel, ok] of Object.entries(usable)) alertMetrics.channels.set({ channel }, ok ? 1 : 0);
  alertMetrics.firing.reset();
  for (const { kind, n } of await countFiring(ctx)) alertMetrics.firing.set({ kind }, n);
  return usable;
}

/** The start-up warning when no channel can reach anyone: alerts would go nowhere. */
export const NO_CHANNEL_WARNING = {
  fr:
    'Aucun canal d’alerte : les alertes (relais en panne, disque plein, sauvegarde manquante…) ne ' +
    'parviendront à personne. Définissez GIROFLEE_ALERT_WEBHOOK (webhook entrant Mattermost ou Slack) ' +
    'ou créez un compte racine (les alertes partent alors par e-mail).',
  en:
    'No alert channel: alerts (relay down, disk full, backup missing…) will reach nobody. Set ' +
    'GIROFLEE_ALERT_WEBHOOK (a Mattermost or Slack incoming webhook) or create a racine account ' +
    '(alerts then go by e-mail).',
};

/**
 * Alerts in `giroflee serve`: says at start when no channel can reach anyone, keeps the metrics
 * current, and retries the alerts a channel did not take. Every copy runs it; the rows' claims
 * make sure one copy delivers each alert.
 */
export const alertsComponent: Component = {
  name: 'alerts',
  async start(ctx) {
    const usable = await refreshAlertMetrics(ctx);
    if (!usable.email && !usable.webhook) {
      logger.warn({ code: 'no_alert_channel' }, `${NO_CHANNEL_WARNING.fr} / ${NO_CHANNEL_WARNING.en}`);
    }
    return runPeriodically(
      TICK_MS,
      () => Promise.all([deliverPendingAlerts(ctx), refreshAlertMetrics(ctx)]),
      (err) => logger.error({ err }, 'alerts tick failed'),
      { immediately: false },
    );
  },
};
