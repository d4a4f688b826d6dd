import '../../console.css';
import { useI18n } from '../../../shell/i18n';
import { api } from '../../../shell/api';
import { Screen } from '../../../ui/screen';
import { CopyButton } from '../../../ui/copy-button';
import { Only } from '../../components/layout';
import { LoadState } from '../../components/load-state';
import { StatusBadge } from '../../components/status-badge';
import { formatDateTime, formatNumber } from '../../lib/format';
import type { HealthItem, MasterKeyStatus, PlatformHealth } from '../../lib/types';
import { useLoad } from '../../lib/use-load';

/** Racine: the platform's health on one page, and the master-key rotation's progress. */
export default function PlatformScreen() {
  const { t, language } = useI18n();
  const health = useLoad((signal) => api<PlatformHealth>('GET', '/platform/health', { signal }), []);
  const keys = useLoad((signal) => api<MasterKeyStatus>('GET', '/platform/master-key', { signal }), []);
  return (
    <Screen title={t('console:platform.title')}>
      <Only racine>
        <p>{t('console:platform.intro')}</p>
        <LoadState state={health}>
          {(h) => (
            <>
              <div class="toolbar">
                <p class="checklist-summary">
                  <StatusBadge status={h.status} />{' '}
                  {t('console:platform.checkedAt', { at: formatDateTime(h.checkedAt, language) })}
                </p>
                <button type="button" class="button" onClick={health.reload}>
                  {t('console:platform.recheck')}
                </button>
              </div>
              <ul class="cards">
                {h.items.map((item) => (
                  <HealthCard key={item.id} item={item} />
                ))}
              </ul>
              <h2>{t('console:platform.outboundTitle')}</h2>
              <p>
                {t('console:platform.outbound', {
                  relayed: formatNumber(h.outbound.relayed ?? 0, language),
                  deferred: formatNumber(h.outbound.deferred ?? 0, language),
                  refused: formatNumber(h.outbound.refused ?? 0, language),
                })}
              </p>
            </>
          )}
        </LoadState>
        <section class="card" aria-labelledby="master-key-title">
          <h2 id="master-key-title">{t('console:masterKey.title')}</h2>
          <p>{t('console:masterKey.intro')}</p>
          <LoadState state={keys}>{(k) => <MasterKey status={k} />}</LoadState>
        </section>
      </Only>
    </Screen>
  );
}

function HealthCard(props: { item: HealthItem }) {
  const { t, language } = useI18n();
  const { item } = props;
  const f = item.facts;
  const facts: string[] = [];
  if (item.id === 'postfix' && typeof f.total === 'number') {
    const by = (f.byQueue ?? {}) as Record<string, number>;
    facts.push(
      t('console:platform.facts.queue', { total: f.total, deferred: by.deferred ?? 0, hold: by.hold ?? 0 }),
    );
    if (f.oldestArrival)
      facts.push(
        t('console:platform.facts.oldest', { at: formatDateTime(String(f.oldestArrival), language) }),
      );
  } else if (item.id === 'relays') {
    facts.push(
      t('console:platform.facts.relays', { inUse: f.inUse, up: f.up, down: f.down, listed: f.listed }),
    );
  } else if (item.id === 'domains') {
    facts.push(
      t('console:platform.facts.domains', {
        total: f.total,
        error: f.error,
        warning: f.warning,
        pending: f.pending,
      }),
    );
  } else if (item.id === 'database') {
    facts.push(t('console:platform.facts.database', { latency: f.latencyMs }));
  } else if (typeof f.listen === 'string') {
    facts.push(
      f.latencyMs !== null && f.latencyMs !== undefined
        ? t('console:platform.facts.listening', { listen: f.listen, latency: f.latencyMs })
        : t('console:platform.facts.silent', { listen: f.listen }),
    );
  }
  return (
    <li class={`card check check-${item.status}`}>
      <div class="check-head">
        <h3>{t(`console:platform.items.${item.id}`)}</h3>
        <StatusBadge status={item.status} />
      </div>
      {facts.map((text) => (
        <p key={text}>{text}</p>
      ))}
      {item.message && <p class="trap">{item.message[language]}</p>}
    </li>
  );
}

function MasterKey(props: { status: MasterKeyStatus }) {
  const { t, language } = useI18n();
  const k = props.status;
  const current = k.keys.find((key) => key.current);
  return (
    <>
      <p>
        <StatusBadge
          status={k.state === 'complete' ? 'ok' : 'warning'}
          label={t(`console:masterKey.states.${k.state}`)}
        />
      </p>
      <label for="master-key-progress">
        {t('console:masterKey.progress', {
          done: formatNumber(k.onCurrent, language),
          total: formatNumber(k.total, language),
          key: current?.id ?? '',
        })}
      </label>
      <progress id="master-key-progress" max={Math.max(k.total, 1)} value={k.total === 0 ? 1 : k.onCurrent} />
      <table class="table">
        <caption class="visually-hidden">{t('console:masterKey.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('console:masterKey.columns.column')}</th>
            <th scope="col">{t('console:masterKey.columns.done')}</th>
          </tr>
        </thead>
        <tbody>
          {k.columns.map((c) => (
            <tr key={c.column}>
              <th scope="row" data-label={t('console:masterKey.columns.column')}>
                <code>{c.column}</code>
              </th>
              <td data-label={t('console:masterKey.columns.done')}>
                {t('console:masterKey.columnDone', { done: c.onCurrent, total: c.total })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>{k.state === 'complete' ? t('console:masterKey.toStart') : t('console:masterKey.toResume')}</p>
      <p class="copy-field">
        <code class="copy-field-value">{k.commands.rotate}</code>
        <CopyButton text={k.commands.rotate} label={t('console:masterKey.copyCommand')} />
      </p>
      {k.retirable.length > 0 && (
        <>
          <p>{t('console:masterKey.retirable', { keys: k.retirable.join(', ') })}</p>
          <p class="copy-field">
            <code class="copy-field-value">{k.commands.retire.replace('<KEYID>', k.retirable[0])}</code>
            <CopyButton
              text={k.commands.retire.replace('<KEYID>', k.retirable[0])}
              label={t('console:masterKey.copyRetire', { key: k.retirable[0] })}
            />
          </p>
        </>
      )}
    </>
  );
}
