import { racineEmails } from '../accounts/accounts';
import type { ServiceContext } from '../context';
import { sendNotice } from '../notify/send-notice';
import type { AlertChannel, AlertRow } from './alerts';
import { formatAlert, webhookPayload } from './format-alert';

const WEBHOOK_TIMEOUT_MS = 10_000;

/** The channels the configuration turns on, in the order they are tried. */
export function configuredChannels(ctx: ServiceContext): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (ctx.config.alerts.email) channels.push('email');
  if (ctx.config.alerts.webhook) channels.push('webhook');
  return channels;
}

/** Who gets alerts by e-mail: the configured list, or every racine account. */
export async function alertRecipients(ctx: ServiceContext): Promise<string[]> {
  return ctx.config.alerts.emailTo.length ? ctx.config.alerts.emailTo : racineEmails(ctx);
}

/**
 * The channels that can reach someone now: e-mail when it is on and has recipients, the
 * webhook when it is set. None means alerts go nowhere, which `giroflee serve` says at start.
 */
export async function usableChannels(ctx: ServiceContext): Promise<Record<AlertChannel, boolean>> {
  return {
    email: ctx.config.alerts.email && (await alertRecipients(ctx)).length > 0,
    webhook: Boolean(ctx.config.alerts.webhook),
  };
}

class ChannelError extends Error {}

async function sendEmail(ctx: ServiceContext, row: AlertRow): Promise<void> {
  const to = await alertRecipients(ctx);
  if (!to.length)
    throw new ChannelError('no racine account and no GIROFLEE_ALERT_EMAIL_TO: nobody to e-mail');
  const message = formatAlert(row, ctx.config);
  await sendNotice(ctx, { to, subject: message.subject, text: message.text });
}

async function postWebhook(ctx: ServiceContext, row: AlertRow): Promise<void> {
  const url = ctx.config.alerts.webhook;
  if (!url) throw new ChannelError('GIROFLEE_ALERT_WEBHOOK is not set');
  const body = webhookPayload(row, formatAlert(row, ctx.config));
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    redirect: 'error',
  });
  // Drained either way so the connection can be reused.
  await res.arrayBuffer().catch(() => undefined);
  // The URL holds the webhook's token: the error names the status only.
  if (!res.ok) throw new ChannelError(`webhook answered HTTP ${res.status}`);
}

/** Tells one channel the alert's current state; throws when the channel did not take it. */
export async function sendToChannel(
  ctx: ServiceContext,
  channel: AlertChannel,
  row: AlertRow,
): Promise<void> {
  await (channel === 'email' ? sendEmail(ctx, row) : postWebhook(ctx, row));
}
