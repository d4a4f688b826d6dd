import i18next from 'i18next';
import { useEffect, useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { consoleError } from '../lib/errors';
import { formatDateTime } from '../lib/format';
import { checkOfRecord } from '../lib/records';
import type { CheckReport, CheckResult, CheckStatus, PlannedRecord } from '../lib/types';
import { LastChecked } from './check-summary';
import { RecordCard } from './record-card';
import { StatusBadge } from './status-badge';

/** How often the page checks again by itself while it is open and visible. */
export const AUTO_RECHECK_MS = 30_000;

const checkPath = (domain: string) => `/domains/${encodeURIComponent(domain)}/check`;

/** Known traps that apply to a row: by the check's message codes, and by what the row asks for. */
function trapsFor(check: CheckResult, records: PlannedRecord[]): string[] {
  const keys = new Set<string>();
  for (const m of check.messages) {
    const key = `console:traps.${m.code}`;
    if (i18next.exists(key)) keys.add(key);
  }
  // A DNS host's "proxy" (Cloudflare's orange cloud) answers with its own addresses instead of
  // the CNAME: the record looks published in the host's panel, and is not in the DNS.
  if ((check.status === 'error' || check.status === 'warning') && records.some((r) => r.type === 'CNAME')) {
    keys.add('console:traps.proxiedCname');
  }
  return [...keys];
}

function countByStatus(report: CheckReport): Record<CheckStatus, number> {
  const out: Record<CheckStatus, number> = { ok: 0, warning: 0, error: 0, unknown: 0 };
  for (const c of report.checks) out[c.status]++;
  return out;
}

/**
 * The domain's DNS, row by row: what each record is for, its status in words, what giroflee sees
 * next to what to publish (copyable field by field), the known traps that apply, a re-check per
 * row, and an automatic re-check while the page is open (which the person can stop).
 */
export function DnsChecklist(props: {
  domain: string;
  records: PlannedRecord[];
  initial: CheckReport | null;
  /** Checks every row now when the page opens (the stored report may be old). */
  checkOnOpen?: boolean;
  /** Told of every new report, so the rest of the page shows the same state. */
  onReport?: (report: CheckReport) => void;
  /** The domain still waits for its proof: the button checks the other records too. */
  pending?: boolean;
}) {
  const { t, language } = useI18n();
  const [report, setReport] = useState<CheckReport | null>(props.initial);
  const [running, setRunning] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [auto, setAuto] = useState(true);
  const busy = useRef(false);
  const previous = useRef(report);
  previous.current = report;

  const run = async (origin: 'all' | 'auto' | string) => {
    if (busy.current) return;
    busy.current = true;
    setRunning(origin);
    setError('');
    try {
      const next = await api<CheckReport>('POST', checkPath(props.domain));
      const before = previous.current;
      setReport(next);
      props.onReport?.(next);
      if (origin === 'all') {
        const n = countByStatus(next);
        announce(t('console:checklist.announceAll', { ok: n.ok, total: next.checks.length }));
      } else if (origin === 'auto') {
        // Only news is said: rows whose status changed since the last look.
        const changed = next.checks.filter(
          (c) => before?.checks.find((b) => b.id === c.id)?.status !== c.status,
        );
        if (before && changed.length) {
          announce(
            changed
              .map((c) => `${t(`console:checks.${c.id}.title`)} : ${t(`console:status.${c.status}`)}`)
              .join(' ; '),
          );
        }
      } else {
        const row = next.checks.find((c) => c.id === origin);
        if (row) announce(`${t(`console:checks.${row.id}.title`)} : ${t(`console:status.${row.status}`)}`);
      }
    } catch (e) {
      setError(consoleError(e));
    } finally {
      busy.current = false;
      setRunning(null);
    }
  };

  useEffect(() => {
    if (props.checkOnOpen) void run('auto');
  }, [props.domain]);

  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void run('auto');
    }, AUTO_RECHECK_MS);
    return () => clearInterval(timer);
  }, [auto, props.domain]);

  const counts = report ? countByStatus(report) : undefined;
  return (
    <section class="checklist" aria-labelledby="checklist-title">
      <h2 id="checklist-title">{t('console:checklist.title')}</h2>
      <p>{t('console:checklist.intro')}</p>
      <div class="toolbar">
        <button type="button" class="button button-primary" onClick={() => void run('all')}>
          {running === 'all'
            ? t('console:checklist.checking')
            : props.pending
              ? t('console:checklist.checkAll')
              : t('console:checklist.checkNow')}
        </button>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={auto}
            onChange={(e) => setAuto((e.currentTarget as HTMLInputElement).checked)}
          />
          {t('console:checklist.auto', { seconds: AUTO_RECHECK_MS / 1000 })}
        </label>
      </div>
      {error && <Alert kind="error">{error}</Alert>}
      {report && counts ? (
        <>
          <p class="checklist-summary" data-testid="checklist-summary">
            <StatusBadge status={report.status} />{' '}
            {t('console:checklist.summary', {
              ok: counts.ok,
              total: report.checks.length,
              error: counts.error,
              warning: counts.warning,
              unknown: counts.unknown,
            })}{' '}
            <span class="muted">
              {t('console:checklist.checkedAt')} <LastChecked at={report.checkedAt} /> (
              {formatDateTime(report.checkedAt, language)})
            </span>
          </p>
          <ol class="checks">
            {report.checks.map((c) => (
              <CheckRow
                key={c.id}
                check={c}
                domain={props.domain}
                records={props.records.filter((r) => checkOfRecord(r.id) === c.id)}
                running={running === c.id}
                onRecheck={() => void run(c.id)}
              />
            ))}
          </ol>
        </>
      ) : (
        <p aria-busy={running !== null ? 'true' : undefined}>
          {running ? t('console:checklist.checking') : t('console:checklist.none')}
        </p>
      )}
    </section>
  );
}

function CheckRow(props: {
  check: CheckResult;
  domain: string;
  records: PlannedRecord[];
  running: boolean;
  onRecheck: () => void;
}) {
  const { t, language } = useI18n();
  const c = props.check;
  const title = t(`console:checks.${c.id}.title`);
  const traps = trapsFor(c, props.records);
  const problem = c.status !== 'ok';
  return (
    <li class={`check check-${c.status}`} data-check={c.id} aria-labelledby={`check-${c.id}-title`}>
      <div class="check-head">
        <h3 id={`check-${c.id}-title`}>{title}</h3>
        <StatusBadge status={c.status} />
      </div>
      <p class="check-what">{t(`console:checks.${c.id}.what`)}</p>
      {c.messages.length > 0 && (
        <ul class="messages">
          {c.messages.map((m, i) => (
            <li key={i} class={`message message-${m.level}`}>
              <span class="message-level">{t(`console:levels.${m.level}`)}</span> {m.text[language]}
            </li>
          ))}
        </ul>
      )}
      {traps.map((key) => (
        <p key={key} class="trap">
          <strong>{t('console:traps.label')}</strong> {t(key)}
        </p>
      ))}
      <details open={problem}>
        <summary>{problem ? t('console:checklist.compare') : t('console:checklist.compareOk')}</summary>
        <div class="compare">
          <div>
            <h4>{t('console:checklist.found')}</h4>
            {c.found.length ? (
              <pre class="zone">{c.found.join('\n')}</pre>
            ) : (
              <p>{t('console:checklist.foundNothing')}</p>
            )}
          </div>
          <div>
            <h4>{t('console:checklist.publish')}</h4>
            {props.records.length ? (
              props.records.map((r) => <RecordCard key={r.id} record={r} domain={props.domain} />)
            ) : c.expected.length ? (
              <pre class="zone">{c.expected.join('\n')}</pre>
            ) : (
              <p>{t('console:checklist.publishNothing')}</p>
            )}
          </div>
        </div>
      </details>
      <button
        type="button"
        class="button button-quiet"
        onClick={props.onRecheck}
        aria-label={props.running ? undefined : t('console:checklist.recheckRow', { name: title })}
      >
        {props.running ? t('console:checklist.checking') : t('console:checklist.recheck')}
      </button>
    </li>
  );
}
