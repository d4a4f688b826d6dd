import '../console.css';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { Breadcrumbs, collectivePath, domainPath, DomainTabs, mailboxPath } from '../components/layout';
import { LoadState } from '../components/load-state';
import { StateBadge } from '../components/status-badge';
import { canManage, isAccount } from '../lib/access';
import { formatBytes } from '../lib/format';
import type { Domain, MailboxPage } from '../lib/types';
import { useLoad } from '../lib/use-load';

const PAGE_SIZE = 25;

/**
 * A domain's mailboxes: search by the start of the address, a page at a time, each with its
 * status and the storage it uses as Dovecot counts it.
 */
export default function MailboxesScreen(props: { params: { name: string } }) {
  const { t, language } = useI18n();
  const { me } = useSession();
  const name = props.params.name;
  const [search, setSearch] = useState('');
  const [prefix, setPrefix] = useState('');
  // Cursors of the pages before this one, so "previous" goes back without the server's help.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const timer = setTimeout(() => {
      setPrefix(search.trim().toLowerCase().replace(/@.*$/, ''));
      setCursors([undefined]);
    }, 250);
    return () => clearTimeout(timer);
  }, [search]);

  const domain = useLoad(
    (signal) => api<Domain>('GET', `/domains/${encodeURIComponent(name)}`, { signal }),
    [name],
  );
  const page = useLoad(
    (signal) => {
      const q = new URLSearchParams({ limit: String(PAGE_SIZE), usage: 'true' });
      if (prefix) q.set('prefix', prefix);
      if (cursor) q.set('cursor', cursor);
      return api<MailboxPage>('GET', `/domains/${encodeURIComponent(name)}/mailboxes?${q}`, { signal });
    },
    [name, prefix, cursor],
  );
  const slug = domain.data?.collective;
  const collectiveName = (isAccount(me) && me.memberships.find((m) => m.slug === slug)?.name) || slug || '';
  const unicode = domain.data?.unicodeName ?? name;

  return (
    <Screen title={t('console:mailboxes.title', { name: unicode })}>
      <Breadcrumbs
        items={[
          { href: '/console', label: t('console:nav.home') },
          ...(slug ? [{ href: collectivePath(slug), label: collectiveName }] : []),
          { href: domainPath(name), label: unicode },
          { label: t('console:domain.tabs.mailboxes') },
        ]}
      />
      <DomainTabs name={name} />
      <div class="toolbar">
        <div role="search" class="search">
          <TextField
            id="mailbox-search"
            type="search"
            label={t('console:mailboxes.search')}
            hint={t('console:mailboxes.searchHint')}
            value={search}
            onValue={setSearch}
            maxLength={64}
          />
        </div>
        {canManage(me, slug) && (
          <a class="button button-primary" href={domainPath(name, '/mailboxes/new')}>
            {t('console:mailboxes.create')}
          </a>
        )}
      </div>
      <LoadState state={page}>
        {(data) => (
          <>
            <p class="visually-hidden" aria-live="polite">
              {t('console:mailboxes.shown', { count: data.items.length })}
            </p>
            {data.usageUnavailable && data.items.length > 0 && (
              <Alert kind="info">{t('console:mailboxes.usageUnavailable')}</Alert>
            )}
            {data.items.length === 0 ? (
              <p>{prefix ? t('console:mailboxes.noMatch', { prefix }) : t('console:mailboxes.none')}</p>
            ) : (
              <table class="table">
                <caption class="visually-hidden">{t('console:mailboxes.caption', { name: unicode })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('console:mailboxes.columns.address')}</th>
                    <th scope="col">{t('console:mailboxes.columns.name')}</th>
                    <th scope="col">{t('console:mailboxes.columns.quota')}</th>
                    <th scope="col">{t('console:mailboxes.columns.status')}</th>
                    <th scope="col">{t('console:mailboxes.columns.encryption')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <tr key={m.id}>
                      <th scope="row" data-label={t('console:mailboxes.columns.address')}>
                        <a href={mailboxPath(m.address)}>{m.address}</a>
                      </th>
                      <td data-label={t('console:mailboxes.columns.name')}>{m.displayName ?? ''}</td>
                      <td data-label={t('console:mailboxes.columns.quota')}>
                        {m.usage
                          ? t('console:mailboxes.usage', {
                              used: formatBytes(m.usage.usedBytes, language),
                              quota: formatBytes(m.quotaBytes, language),
                              percent: m.usage.percent,
                            })
                          : formatBytes(m.quotaBytes, language)}
                      </td>
                      <td data-label={t('console:mailboxes.columns.status')}>
                        <StateBadge
                          tone={m.status === 'active' ? 'ok' : 'error'}
                          label={t(`console:mailboxStatus.${m.status}`)}
                        />
                        {m.awaitingOwner && (
                          <>
                            {' '}
                            <StateBadge tone="warning" label={t('console:mailboxStatus.awaitingOwner')} />
                          </>
                        )}
                      </td>
                      <td data-label={t('console:mailboxes.columns.encryption')}>
                        {t(`console:encryption.${m.encryptionMode}`)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <nav class="pager" aria-label={t('console:common.pages')}>
              {cursors.length > 1 && (
                <button type="button" class="button" onClick={() => setCursors((c) => c.slice(0, -1))}>
                  {t('console:common.previous')}
                </button>
              )}
              <span>{t('console:common.pageNumber', { page: cursors.length })}</span>
              {data.nextCursor && (
                <button
                  type="button"
                  class="button"
                  onClick={() => setCursors((c) => [...c, data.nextCursor ?? undefined])}
                >
                  {t('console:common.next')}
                </button>
              )}
            </nav>
          </>
        )}
      </LoadState>
    </Screen>
  );
}
