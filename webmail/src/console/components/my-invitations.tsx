import { useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { consoleError } from '../lib/errors';
import { formatDate } from '../lib/format';
import type { Invitation } from '../lib/types';
import { useLoad } from '../lib/use-load';
import { ConfirmDialog } from './confirm-dialog';

/**
 * Invitations addressed to this account's e-mail: nobody joins a collective without saying yes
 * here (or with the mailed code, for those without an account). Nothing shows when none wait.
 */
export function MyInvitations() {
  const { t, language } = useI18n();
  const session = useSession();
  const state = useLoad((signal) => api<{ items: Invitation[] }>('GET', '/me/invitations', { signal }), []);
  const [declining, setDeclining] = useState<Invitation | null>(null);
  const [error, setError] = useState('');
  const items = state.data?.items ?? [];
  if (items.length === 0) return null;
  const name = (i: Invitation) => i.collective?.name ?? '';
  const accept = async (i: Invitation) => {
    setError('');
    try {
      await api('POST', `/me/invitations/${i.id}/accept`);
      announce(t('console:invitations.accepted', { name: name(i) }));
      await session.refresh();
    } catch (e) {
      setError(consoleError(e));
    }
  };
  return (
    <section class="card" aria-labelledby="my-invitations-title">
      <h2 id="my-invitations-title">{t('console:invitations.title')}</h2>
      {error && <Alert kind="error">{error}</Alert>}
      <ul>
        {items.map((i) => (
          <li key={i.id}>
            <p>
              {t('console:invitations.what', {
                name: name(i),
                role: t(`console:roles.${i.role}`),
                until: formatDate(i.expiresAt, language),
              })}
            </p>
            <p class="actions">
              <button type="button" class="button button-primary" onClick={() => void accept(i)}>
                {t('console:invitations.accept', { name: name(i) })}
              </button>{' '}
              <button type="button" class="button button-quiet" onClick={() => setDeclining(i)}>
                {t('console:invitations.decline', { name: name(i) })}
              </button>
            </p>
          </li>
        ))}
      </ul>
      {declining && (
        <ConfirmDialog
          title={t('console:invitations.declineTitle', { name: name(declining) })}
          confirmLabel={t('console:invitations.declineConfirm')}
          danger
          onConfirm={async () => {
            await api('DELETE', `/me/invitations/${declining.id}`);
            announce(t('console:invitations.declined', { name: name(declining) }));
            state.reload();
          }}
          onClose={() => setDeclining(null)}
        >
          <p>{t('console:invitations.declineWhat', { name: name(declining) })}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
