import fs from 'node:fs/promises';
import { firingKeys } from '../alerts/alerts';
import { installedAt, lastBackupAt } from '../backup/backups';
import { mailRootOf } from '../backup/paths';
import { alertKey, reconcileAlerts, type AlertInput } from '../alerts/raise-alert';
import type { AppContext } from '../context';
import { logger } from '../logger';
import { mailstackDir } from '../mailstack/from-config';
import { privatePaths } from '../mailstack/settings';
import { queueMetrics } from '../metrics/metrics';
import { certificateExpiry, diskUsage, postfixCertificateFiles } from './host-checks';
import { brokenDomains, stuckDkimRotations } from './platform-state';
import { readPostfixQueue, type PostfixQueueCount } from '../mailstack/postfix-queue';

const DAY = 24 * 3600_000;
/** A firing disk alert ends only this many points below the threshold, so it does not flap. */
const DISK_HYSTERESIS = 5;
const CERT_WARNING_DAYS = 14;
const CERT_CRITICAL_DAYS = 3;
const DKIM_STUCK_DAYS = 7;
/** Backups are daily; a little more than a day without one means the last run failed or never came. */
const BACKUP_MAX_AGE_HOURS = 26;
/** A firing queue alert ends only once the queue is this much smaller than the threshold. */
const QUEUE_HYSTERESIS = 0.8;

/**
 * A check that raises and resolves one kind of alert. `host` checks look at this machine (its
 * disk, its certificates) and run on every copy, their alerts named after the node; `platform`
 * checks look at the shared database and run on one copy at a time.
 */
export interface Monitor {
  kind: string;
  scope: 'host' | 'platform';
  check(ctx: AppContext, host: HostView): Promise<AlertInput[]>;
}

/** What one pass read of this host once, for every check that needs it. */
export interface HostView {
  /**
   * This host's Postfix queues; null when Postfix does not run here; undefined when they could
   * not be read (a check that needs them then leaves its alerts as they are).
   */
  queues: Record<string, PostfixQueueCount> | null | undefined;
}

/** Postfix's configuration directory on this host: the private stack's, or production's. */
export const postfixConfigDirOf = (ctx: AppContext): string =>
  ctx.config.mailstack
    ? privatePaths(mailstackDir(ctx.config)).postfixConfigDir
    : ctx.config.monitor.postfixConfigDir;

/** The folders whose file systems must not fill up: the data directory and the mail store. */
async function watchedFolders(ctx: AppContext): Promise<string[]> {
  const mailRoot = mailRootOf(ctx.config);
  const seen = new Set<number>();
  const out: string[] = [];
  for (const dir of [ctx.config.dataDir, mailRoot]) {
    const st = await fs.stat(dir).catch(() => undefined);
    if (!st || seen.has(st.dev)) continue;
    seen.add(st.dev);
    out.push(dir);
  }
  return out;
}

const diskFull: Monitor = {
  kind: 'disk_full',
  scope: 'host',
  async check(ctx) {
    const node = ctx.config.monitor.nodeName;
    const threshold = ctx.config.monitor.diskAlertPercent;
    const firing = new Set(await firingKeys(ctx, 'disk_full'));
    const found: AlertInput[] = [];
    for (const dir of await watchedFolders(ctx)) {
      const { usedPercent, freeBytes } = await diskUsage(dir);
      const subject = `${node}:${dir}`;
      const limit = firing.has(alertKey({ kind: 'disk_full', subject }))
        ? threshold - DISK_HYSTERESIS
        : threshold;
      if (usedPercent < limit) continue;
      const free = `${(freeBytes / 2 ** 30).toFixed(1)}`;
      found.push({
        kind: 'disk_full',
        subject,
        severity: 'critical',
        title: { fr: `Disque presque plein sur ${node}`, en: `Disk nearly full on ${node}` },
        text: {
          fr:
            `Le système de fichiers de ${dir} est plein à ${usedPercent} % (${free} Gio libres). ` +
            'Quand il sera plein, PostgreSQL s’arrêtera et Postfix refusera le courrier. Libérez de la ' +
            'place ou agrandissez le disque.',
          en:
            `The file system of ${dir} is ${usedPercent}% full (${free} GiB free). When it is full, ` +
            'PostgreSQL stops and Postfix refuses mail. Free some space or grow the disk.',
        },
      });
    }
    return found;
  },
};

const tlsExpiring: Monitor = {
  kind: 'tls_expiring',
  scope: 'host',
  async check(ctx) {
    const node = ctx.config.monitor.nodeName;
    const files = new Set([
      ...(ctx.config.mailstack ? [] : await postfixCertificateFiles(postfixConfigDirOf(ctx))),
      ...ctx.config.monitor.certFiles,
    ]);
    const found: AlertInput[] = [];
    for (const file of files) {
      let expires: Date;
      try {
        expires = await certificateExpiry(file);
      } catch (err) {
        logger.warn({ err, file }, 'certificate not readable');
        continue;
      }
      const days = Math.floor((expires.getTime() - ctx.now().getTime()) / DAY);
      if (days >= CERT_WARNING_DAYS) continue;
      const when = expires.toISOString().slice(0, 10);
      found.push({
        kind: 'tls_expiring',
        subject: `${node}:${file}`,
        severity: days < CERT_CRITICAL_DAYS ? 'critical' : 'warning',
        title:
          days < 0
            ? { fr: `Certificat expiré sur ${node}`, en: `Certificate expired on ${node}` }
            : { fr: `Certificat bientôt expiré sur ${node}`, en: `Certificate expiring soon on ${node}` },
        text: {
          fr:
            `Le certificat ${file} expire le ${when}. Sans certificat valide, les serveurs qui exigent TLS ` +
            '(MTA-STS) et les clients mail refusent la connexion. Renouvelez-le (certbot renew) puis ' +
            'rechargez Postfix et Dovecot.',
          en:
            `The certificate ${file} expires on ${when}. Without a valid certificate, servers requiring TLS ` +
            '(MTA-STS) and mail clients refuse to connect. Renew it (certbot renew), then reload Postfix ' +
            'and Dovecot.',
        },
      });
    }
    return found;
  },
};

/** The queues `check` needs, or an error that leaves the alerts of that check as they are. */
function queuesOf(host: HostView): Record<string, PostfixQueueCount> | null {
  if (host.queues === undefined) throw new Error('Postfix queue not read');
  return host.queues;
}

const queueGrowing: Monitor = {
  kind: 'queue_growing',
  scope: 'host',
  async check(ctx, host) {
    const queues = queuesOf(host);
    if (!queues) return [];
    const node = ctx.config.monitor.nodeName;
    const subject = `${node}:postfix`;
    const threshold = ctx.config.monitor.queueAlertMessages;
    const firing = new Set(await firingKeys(ctx, 'queue_growing'));
    const limit = firing.has(alertKey({ kind: 'queue_growing', subject }))
      ? Math.max(1, Math.floor(threshold * QUEUE_HYSTERESIS))
      : threshold;
    const total = Object.values(queues).reduce((n, q) => n + q.messages, 0);
    if (total < limit) return [];
    const deferred = queues.deferred?.messages ?? 0;
    return [
      {
        kind: 'queue_growing',
        subject,
        severity: 'critical',
        title: { fr: `File de Postfix pleine sur ${node}`, en: `Postfix queue filling up on ${node}` },
        text: {
          fr:
            `Postfix garde ${total} messages sur ${node} (seuil ${threshold}), dont ${deferred} différés. ` +
            'Le courrier ne part plus assez vite : relais en panne, passerelle arrêtée, ou un envoi massif. ' +
            'Regardez giroflee relay list et postqueue -p.',
          en:
            `Postfix holds ${total} messages on ${node} (threshold ${threshold}), ${deferred} of them deferred. ` +
            'Mail no longer leaves fast enough: relays down, a gateway stopped, or a mass sending. ' +
            'Look at giroflee relay list and postqueue -p.',
        },
      },
    ];
  },
};

const mailDeferred: Monitor = {
  kind: 'mail_deferred',
  scope: 'host',
  async check(ctx, host) {
    const oldest = queuesOf(host)?.deferred?.oldest;
    if (!oldest) return [];
    const hours = (ctx.now().getTime() - oldest.getTime()) / 3600_000;
    const limit = ctx.config.monitor.deferredAlertHours;
    if (hours < limit) return [];
    const node = ctx.config.monitor.nodeName;
    const count = queuesOf(host)?.deferred?.messages ?? 0;
    const age = Math.floor(hours);
    return [
      {
        kind: 'mail_deferred',
        subject: `${node}:postfix`,
        title: {
          fr: `Courrier en attente depuis ${age} h sur ${node}`,
          en: `Mail waiting for ${age} h on ${node}`,
        },
        text: {
          fr:
            `${count} messages différés sur ${node}, le plus ancien depuis ${age} h (seuil ${limit} h). ` +
            'Postfix réessaie et les renvoie à l’expéditeur au bout de 5 jours. postqueue -p dit pourquoi ' +
            '(relais, clé de chiffrement manquante, quota).',
          en:
            `${count} deferred messages on ${node}, the oldest for ${age} h (threshold ${limit} h). ` +
            'Postfix retries and bounces them after 5 days. postqueue -p says why (relays, a missing ' +
            'encryption key, quota).',
        },
      },
    ];
  },
};

const domainBroken: Monitor = {
  kind: 'domain_broken',
  scope: 'platform',
  async check(ctx) {
    return (await brokenDomains(ctx)).map((domain) => ({
      kind: 'domain_broken',
      subject: domain,
      title: { fr: `Domaine ${domain} cassé`, en: `Domain ${domain} broken` },
      text: {
        fr:
          `La configuration DNS de ${domain} fonctionnait et ne fonctionne plus ; ses administrateurs ` +
          'ont reçu la liste des enregistrements à corriger. Son courrier peut ne plus arriver.',
        en:
          `The DNS set-up of ${domain} used to work and no longer does; its admins got the list of ` +
          'records to fix. Its mail may no longer arrive.',
      },
    }));
  },
};

const dkimRotationStuck: Monitor = {
  kind: 'dkim_rotation_stuck',
  scope: 'platform',
  async check(ctx) {
    const since = new Date(ctx.now().getTime() - DKIM_STUCK_DAYS * DAY);
    return (await stuckDkimRotations(ctx, since)).map((k) => ({
      kind: 'dkim_rotation_stuck',
      subject: `${k.domain}/${k.selector}`,
      title: { fr: `Rotation DKIM bloquée pour ${k.domain}`, en: `DKIM rotation stuck for ${k.domain}` },
      text: {
        fr:
          `La nouvelle clé DKIM ${k.selector} de ${k.domain} attend son enregistrement DNS depuis le ` +
          `${k.created_at.toISOString().slice(0, 10)}. L’ancienne clé signe toujours ; vérifiez la ` +
          `délégation (giroflee dkim list ${k.domain}).`,
        en:
          `The new DKIM key ${k.selector} of ${k.domain} has waited for its DNS record since ` +
          `${k.created_at.toISOString().slice(0, 10)}. The old key still signs; check the delegation ` +
          `(giroflee dkim list ${k.domain}).`,
      },
    }));
  },
};

const backupMissing: Monitor = {
  kind: 'backup_missing',
  scope: 'platform',
  async check(ctx) {
    const limit = ctx.now().getTime() - BACKUP_MAX_AGE_HOURS * 3600_000;
    const last = await lastBackupAt(ctx);
    if (last && last.getTime() >= limit) return [];
    const installed = await installedAt(ctx);
    if (!last && installed && installed.getTime() >= limit) return [];
    const since = last ? last.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : undefined;
    return [
      {
        kind: 'backup_missing',
        title: { fr: 'Pas de sauvegarde récente', en: 'No recent backup' },
        text: {
          fr:
            (since
              ? `La dernière sauvegarde complète date du ${since}`
              : 'Aucune sauvegarde n’a jamais été faite') +
            ` (plus de ${BACKUP_MAX_AGE_HOURS} h). Vérifiez le serveur de sauvegarde et sa clé SSH ` +
            '(docs/backup.md), ou lancez giroflee backup à la main.',
          en:
            (since ? `The last complete backup finished at ${since}` : 'No backup was ever taken') +
            ` (more than ${BACKUP_MAX_AGE_HOURS} h ago). Check the backup server and its SSH key ` +
            '(docs/backup.md), or run giroflee backup by hand.',
        },
      },
    ];
  },
};

/** Every monitor `giroflee serve` runs. */
export const monitors: Monitor[] = [
  diskFull,
  tlsExpiring,
  queueGrowing,
  mailDeferred,
  domainBroken,
  dkimRotationStuck,
  backupMissing,
];

/** Runs the monitors of one scope; a failing check is logged and leaves its alerts as they are. */
export async function runMonitors(
  ctx: AppContext,
  scope: Monitor['scope'],
  host: HostView,
  list = monitors,
): Promise<void> {
  for (const m of list.filter((x) => x.scope === scope)) {
    let found: AlertInput[];
    try {
      found = await m.check(ctx, host);
    } catch (err) {
      logger.error({ err, monitor: m.kind }, 'monitor failed');
      continue;
    }
    const subjectPrefix = m.scope === 'host' ? `${ctx.config.monitor.nodeName}:` : undefined;
    await reconcileAlerts(ctx, m.kind, found, { subjectPrefix });
  }
}

/**
 * Postfix's queue on this host, into the metrics too: null when Postfix does not run here,
 * undefined when it could not be read.
 */
export async function readHostQueues(ctx: AppContext): Promise<HostView['queues']> {
  const dir = postfixConfigDirOf(ctx);
  if (!(await fs.stat(`${dir}/main.cf`).catch(() => undefined))) return null;
  try {
    const queues = await readPostfixQueue(dir);
    const now = ctx.now().getTime();
    for (const [queue, q] of Object.entries(queues)) {
      queueMetrics.messages.set({ queue }, q.messages);
      queueMetrics.oldestSeconds.set(
        { queue },
        q.oldest ? Math.max(0, (now - q.oldest.getTime()) / 1000) : 0,
      );
    }
    return queues;
  } catch (err) {
    queueMetrics.readErrors.inc();
    logger.warn({ err }, 'Postfix queue not read');
    return undefined;
  }
}
