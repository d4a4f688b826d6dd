import { webLink, type Config } from '../config';
import type { LocalizedText } from '../errors';
import type { AlertRow, AlertState } from './alerts';

/** What one channel says about one alert in one state: a subject line and a body, in French and English. */
export interface AlertMessage {
  state: AlertState;
  subject: LocalizedText;
  text: LocalizedText;
}

function duration(ms: number, lang: 'fr' | 'en'): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  const days = Math.round(hours / 24);
  return lang === 'fr' ? `${days} jours` : `${days} days`;
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

/**
 * The console screen where a racine acts on an alert of this kind, if there is one. Mailbox
 * alerts name the mailbox by id only (no address in alert texts), so they have none.
 */
function alertScreen(row: Pick<AlertRow, 'kind' | 'subject'>): string | undefined {
  switch (row.kind) {
    case 'relay_down':
      return `/console/racine/relays/${encodeURIComponent(row.subject)}`;
    case 'domain_broken':
      return `/console/domains/${encodeURIComponent(row.subject)}`;
    case 'dkim_rotation_stuck':
      return `/console/domains/${encodeURIComponent(row.subject.split('/')[0])}`;
    case 'queue_growing':
    case 'mail_deferred':
    case 'disk_full':
    case 'tls_expiring':
    case 'backup_missing':
      return '/console/racine/platform';
    default:
      return undefined;
  }
}

/**
 * The message for the alert's current state. The host name says which platform speaks, since
 * racines may watch more than one; the key lets them find the alert in the API and the logs;
 * the link opens the console screen where it is dealt with.
 */
export function formatAlert(
  row: AlertRow,
  config: Pick<Config, 'platformHostname' | 'publicUrl'>,
): AlertMessage {
  const host = config.platformHostname;
  if (row.state === 'firing') {
    const screen = alertScreen(row);
    const url = screen ? webLink(config, screen) : undefined;
    return {
      state: 'firing',
      subject: { fr: `[${host}] Alerte : ${row.title.fr}`, en: `[${host}] Alert: ${row.title.en}` },
      text: {
        fr:
          `${row.text.fr}\n\nDepuis le ${stamp(row.raised_at)} (alerte ${row.key}). ` +
          'Elle ne sera pas répétée ; un message suivra quand elle sera résolue.' +
          (url ? `\nDans la console : ${url}` : ''),
        en:
          `${row.text.en}\n\nSince ${stamp(row.raised_at)} (alert ${row.key}). ` +
          'It will not be repeated; a message follows when it is resolved.' +
          (url ? `\nIn the console: ${url}` : ''),
      },
    };
  }
  const lasted = (row.resolved_at ?? row.last_seen_at).getTime() - row.raised_at.getTime();
  return {
    state: 'resolved',
    subject: { fr: `[${host}] Résolu : ${row.title.fr}`, en: `[${host}] Resolved: ${row.title.en}` },
    text: {
      fr: `${row.resolution?.fr ?? 'La condition a cessé.'}\n\nL’alerte ${row.key} a duré ${duration(lasted, 'fr')}.`,
      en: `${row.resolution?.en ?? 'The condition has ended.'}\n\nAlert ${row.key} lasted ${duration(lasted, 'en')}.`,
    },
  };
}

const ICON = { critical: '🚨', warning: '⚠️', resolved: '✅' };

/**
 * The incoming-webhook body Mattermost and Slack both accept: `text` only (plain text, no
 * markup that one of them would show literally), French first then English.
 */
export function webhookPayload(row: AlertRow, message: AlertMessage): { text: string } {
  const icon = message.state === 'resolved' ? ICON.resolved : ICON[row.severity];
  return {
    text:
      `${icon} ${message.subject.fr}\n${message.text.fr}\n\n` +
      `${icon} ${message.subject.en}\n${message.text.en}`,
  };
}
