import '../../console.css';
import { useEffect, useState } from 'preact/hooks';
import { announce } from '../../../shell/announce';
import { api } from '../../../shell/api';
import { useI18n } from '../../../shell/i18n';
import { useSession } from '../../../shell/session';
import { Alert } from '../../../ui/alert';
import { TextField } from '../../../ui/field';
import { Screen } from '../../../ui/screen';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { Only } from '../../components/layout';
import { LoadState } from '../../components/load-state';
import { ShownOnce } from '../../components/shown-once';
import { StateBadge } from '../../components/status-badge';
import { isAccount } from '../../lib/access';
import { formatDate } from '../../lib/format';
import type { ConsoleAccount, ConsoleAccountPage } from '../../lib/types';
import { useLoad } from '../../lib/use-load';

const PAGE_SIZE = 25;

/**
 * Racine: every console account, found by part of its e-mail a page at a time; a new one-time
 * password for someone who lost theirs, two-factor authentication turned off for someone who
 * lost their phone. Each act says what it does first, and is written to the platform's log.
 */
export default function AccountsScreen() {
  const { t, language } = useI18n();
  const { me } = useSession();
  const [search, setSearch] = useState('');
  const [term, setTerm] = useState('');
  // Cursors of the pages before this one, so "previous" goes back without the server's help.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const [resetting, setResetting] = useState<ConsoleAccount | null>(null);
  const [unenrolling, setUnenrolling] = useState<ConsoleAccount | null>(null);
  const [secret, setSecret] = useState<{ email: string; password: string } | null>(null);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    const timer = setTimeout(() => {
      setTerm(search.trim());
      setCursors([undefined]);
    }, 250);
    return () => clearTimeout(timer);
  }, [search]);

  const page = useLoad(
    (signal) => {
      const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (term) q.set('search', term);
      if (cursor) q.set('cursor', cursor);
      return api<ConsoleAccountPage>('GET', `/accounts?${q}`, { signal });
    },
    [term, cursor],
  );
  const say = (text: string) => {
    setNotice(text);
    announce(text);
  };
  const self = (a: ConsoleAccount) => isAccount(me) && me.id === a.id;

  return (
    <Screen title={t('console:accounts.title')}>
      <Only racine>
        <p>{t('console:accounts.intro')}</p>
        {notice && <Alert kind="success">{notice}</Alert>}
        {secret && (
          <ShownOnce
            title={t('console:accounts.passwordTitle', { email: secret.email })}
            label={t('console:accounts.passwordLabel')}
            value={secret.password}
            explanation={t('console:accounts.passwordExplanation', { email: secret.email })}
            onDone={() => setSecret(null)}
          />
        )}
        <div class="toolbar">
          <div role="search" class="search">
            <TextField
              id="account-search"
              type="search"
              label={t('console:accounts.search')}
              hint={t('console:accounts.searchHint')}
              value={search}
              onValue={setSearch}
              maxLength={254}
            />
          </div>
        </div>
        <LoadState state={page}>
          {(data) => (
            <>
              <p class="visually-hidden" aria-live="polite">
                {t('console:accounts.shown', { count: data.items.length })}
              </p>
              {data.items.length === 0 ? (
                <p>{term ? t('console:accounts.noMatch', { term }) : t('console:accounts.none')}</p>
              ) : (
                <table class="table">
                  <caption class="visually-hidden">{t('console:accounts.caption')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('console:accounts.columns.email')}</th>
                      <th scope="col">{t('console:accounts.columns.kind')}</th>
                      <th scope="col">{t('console:accounts.columns.password')}</th>
                      <th scope="col">{t('console:accounts.columns.totp')}</th>
                      <th scope="col">{t('console:accounts.columns.created')}</th>
                      <th scope="col">{t('console:accounts.columns.actions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((a) => (
                      <tr key={a.id}>
                        <th scope="row" data-label={t('console:accounts.columns.email')}>
                          {a.email}
                          {self(a) && <span class="tag">{t('console:members.you')}</span>}
                        </th>
                        <td data-label={t('console:accounts.columns.kind')}>
                          {t(a.racine ? 'console:accounts.racine' : 'console:accounts.person')}
                        </td>
                        <td data-label={t('console:accounts.columns.password')}>
                          {t(a.mustChangePassword ? 'console:accounts.oneTime' : 'console:accounts.chosen')}
                        </td>
                        <td data-label={t('console:accounts.columns.totp')}>
                          <StateBadge
                            tone={a.totpEnabled ? 'ok' : 'warning'}
                            label={t(a.totpEnabled ? 'console:accounts.totpOn' : 'console:accounts.totpOff')}
                          />
                        </td>
                        <td data-label={t('console:accounts.columns.created')}>
                          {formatDate(a.createdAt, language)}
                        </td>
                        <td data-label={t('console:accounts.columns.actions')}>
                          {!self(a) && (
                            <div class="actions">
                              <button
                                type="button"
                                class="button button-quiet"
                                onClick={() => setResetting(a)}
                              >
                                {t('console:accounts.resetPassword')}
                                <span class="visually-hidden"> ({a.email})</span>
                              </button>
                              {a.totpEnabled && (
                                <button
                                  type="button"
                                  class="button button-quiet"
                                  onClick={() => setUnenrolling(a)}
                                >
                                  {t('console:accounts.resetTotp')}
                                  <span class="visually-hidden"> ({a.email})</span>
                                </button>
                              )}
                            </div>
                          )}
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
        {resetting && (
          <ConfirmDialog
            title={t('console:accounts.resetPasswordTitle', { email: resetting.email })}
            confirmLabel={t('console:accounts.resetPasswordConfirm')}
            danger
            onConfirm={async () => {
              const done = await api<ConsoleAccount & { oneTimePassword: string }>(
                'POST',
                `/accounts/${resetting.id}/password`,
              );
              setNotice('');
              setSecret({ email: done.email, password: done.oneTimePassword });
              page.reload();
            }}
            onClose={() => setResetting(null)}
          >
            <ul>
              <li>{t('console:accounts.resetPasswordWhat.replaced', { email: resetting.email })}</li>
              <li>{t('console:accounts.resetPasswordWhat.sessions')}</li>
              <li>{t('console:accounts.resetPasswordWhat.change')}</li>
              <li>{t('console:accounts.resetPasswordWhat.totp')}</li>
            </ul>
          </ConfirmDialog>
        )}
        {unenrolling && (
          <ConfirmDialog
            title={t('console:accounts.resetTotpTitle', { email: unenrolling.email })}
            confirmLabel={t('console:accounts.resetTotpConfirm')}
            danger
            onConfirm={async () => {
              await api('DELETE', `/accounts/${unenrolling.id}/totp`);
              page.reload();
              say(t('console:accounts.totpReset', { email: unenrolling.email }));
            }}
            onClose={() => setUnenrolling(null)}
          >
            <ul>
              <li>{t('console:accounts.resetTotpWhat.identity')}</li>
              <li>{t('console:accounts.resetTotpWhat.passwordOnly', { email: unenrolling.email })}</li>
              <li>{t('console:accounts.resetTotpWhat.sessions')}</li>
              <li>{t('console:accounts.resetTotpWhat.enrol')}</li>
            </ul>
          </ConfirmDialog>
        )}
      </Only>
    </Screen>
  );
}
