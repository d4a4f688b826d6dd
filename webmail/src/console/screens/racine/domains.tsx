import '../../console.css';
import { useState } from 'preact/hooks';
import { api } from '../../../shell/api';
import { useI18n } from '../../../shell/i18n';
import { Screen } from '../../../ui/screen';
import { DomainStateBadge, LastChecked } from '../../components/check-summary';
import { collectivePath, domainPath, Only } from '../../components/layout';
import { LoadState } from '../../components/load-state';
import { formatDate } from '../../lib/format';
import type { Collective, DkimOverview, Domain, Page } from '../../lib/types';
import { useLoad } from '../../lib/use-load';

/** Broken first: errors, then unknown, warnings, pending proofs, never checked, and fine last. */
export function brokenFirst(d: Domain): number {
  if (d.status === 'suspended') return 1;
  if (d.status === 'pending') return 4;
  const s = d.lastCheck?.status;
  return s === 'error' ? 0 : s === 'unknown' ? 2 : s === 'warning' ? 3 : s === undefined ? 5 : 6;
}

/** Racine: every collective's domains and their check status at a glance, broken first. */
export default function AllDomainsScreen() {
  const { t } = useI18n();
  const [onlyBroken, setOnlyBroken] = useState(false);
  const state = useLoad(async (signal) => {
    const collectives = await api<Page<Collective>>('GET', '/collectives', { signal });
    const lists = await Promise.all(
      collectives.items.map((c) =>
        api<Page<Domain>>('GET', `/collectives/${encodeURIComponent(c.slug)}/domains`, { signal }).then((p) =>
          p.items.map((d) => ({ ...d, collectiveName: c.name })),
        ),
      ),
    );
    const sorted = lists
      .flat()
      .sort((a, b) => brokenFirst(a) - brokenFirst(b) || a.name.localeCompare(b.name));
    const dkim = await api<Page<DkimOverview>>('GET', '/platform/dkim', { signal });
    const byName = new Map(dkim.items.map((d) => [d.domain, d]));
    return sorted.map((d) => ({ ...d, dkim: byName.get(d.name) }));
  }, []);
  return (
    <Screen title={t('console:allDomains.title')}>
      <Only racine>
        <p>{t('console:allDomains.intro')}</p>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={onlyBroken}
            onChange={(e) => setOnlyBroken((e.currentTarget as HTMLInputElement).checked)}
          />
          {t('console:allDomains.onlyBroken')}
        </label>
        <LoadState state={state}>
          {(domains) => {
            const shown = onlyBroken ? domains.filter((d) => brokenFirst(d) < 4) : domains;
            return shown.length === 0 ? (
              <p>{t('console:allDomains.none')}</p>
            ) : (
              <table class="table">
                <caption class="visually-hidden">{t('console:allDomains.caption')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('console:allDomains.columns.domain')}</th>
                    <th scope="col">{t('console:allDomains.columns.collective')}</th>
                    <th scope="col">{t('console:allDomains.columns.state')}</th>
                    <th scope="col">{t('console:allDomains.columns.checked')}</th>
                    <th scope="col">{t('console:allDomains.columns.dkim')}</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((d) => (
                    <tr key={d.id}>
                      <th scope="row" data-label={t('console:allDomains.columns.domain')}>
                        <a href={domainPath(d.name)}>{d.unicodeName}</a>
                      </th>
                      <td data-label={t('console:allDomains.columns.collective')}>
                        {d.collective && <a href={collectivePath(d.collective)}>{d.collectiveName}</a>}
                      </td>
                      <td data-label={t('console:allDomains.columns.state')}>
                        <DomainStateBadge domain={d} />
                      </td>
                      <td data-label={t('console:allDomains.columns.checked')}>
                        <LastChecked at={d.lastCheckedAt} />
                      </td>
                      <td data-label={t('console:allDomains.columns.dkim')}>
                        <DkimSummary state={d.dkim} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            );
          }}
        </LoadState>
      </Only>
    </Screen>
  );
}

/** A domain's keys in a few words: who signs, what waits or retires, when the next rotation comes. */
function DkimSummary(props: { state?: DkimOverview }) {
  const { t, language } = useI18n();
  const s = props.state;
  if (!s) return <span>{t('console:allDomains.dkim.none')}</span>;
  return (
    <ul class="plain">
      {s.active.length > 0 && (
        <li>
          {t('console:allDomains.dkim.signing')} <code>{s.active.join(', ')}</code>
        </li>
      )}
      {s.pending.map((selector) => (
        <li key={selector}>
          {t('console:allDomains.dkim.pending')} <code>{selector}</code>
        </li>
      ))}
      {s.retiring.map((r) => (
        <li key={r.selector}>
          {t('console:allDomains.dkim.retiring')} <code>{r.selector}</code>
          {r.until && ` ${t('console:allDomains.dkim.until', { at: formatDate(r.until, language) })}`}
        </li>
      ))}
      <li>
        {s.nextRotationAt
          ? t('console:allDomains.dkim.next', { at: formatDate(s.nextRotationAt, language) })
          : t(s.mode === 'txt' ? 'console:allDomains.dkim.byHand' : 'console:allDomains.dkim.noneScheduled')}
      </li>
    </ul>
  );
}
