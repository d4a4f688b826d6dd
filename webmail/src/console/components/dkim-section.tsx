import { useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { isRacine } from '../lib/access';
import { formatDateTime } from '../lib/format';
import type { DkimKey, Page } from '../lib/types';
import { useLoad } from '../lib/use-load';
import { ConfirmDialog } from './confirm-dialog';
import { LoadState } from './load-state';
import { StateBadge } from './status-badge';

const TONE = { active: 'ok', pending: 'warning', retiring: 'neutral', retired: 'neutral' } as const;

/**
 * The domain's DKIM keys: which selector signs now, which is waiting to be published or being
 * retired, how they are published (delegated to the platform or TXT kept by the owner); a racine
 * may start a rotation now.
 */
export function DkimSection(props: {
  domain: string;
  canManage: boolean;
  onChanged: () => void;
  /** Changes when a new check ran (it makes a domain's first key), to read the keys again. */
  checkedAt?: string;
}) {
  const { t, language } = useI18n();
  const { me } = useSession();
  const [confirm, setConfirm] = useState<'rotate' | 'delegated' | 'txt' | null>(null);
  const [notice, setNotice] = useState('');
  const base = `/domains/${encodeURIComponent(props.domain)}/dkim`;
  const state = useLoad(
    (signal) => api<Page<DkimKey> & { nextRotationAt?: string | null }>('GET', base, { signal }),
    [props.domain, props.checkedAt],
  );
  const keys = state.data?.items.filter((k) => k.state !== 'retired') ?? [];
  const mode = keys.some((k) => k.mode === 'txt') ? 'txt' : 'delegated';

  return (
    <section class="card" aria-labelledby="dkim-title">
      <h2 id="dkim-title">{t('console:dkim.title')}</h2>
      <p>{t('console:dkim.intro')}</p>
      {notice && <Alert kind="success">{notice}</Alert>}
      <LoadState state={state}>
        {() => (
          <>
            <p>{mode === 'txt' ? t('console:dkim.modeTxt') : t('console:dkim.modeDelegated')}</p>
            {state.data?.nextRotationAt && (
              <p>
                {t('console:dkim.nextRotation', { at: formatDateTime(state.data.nextRotationAt, language) })}
              </p>
            )}
            {keys.length === 0 ? (
              <p>{t('console:dkim.none')}</p>
            ) : (
              <table class="table">
                <caption class="visually-hidden">{t('console:dkim.caption', { name: props.domain })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('console:dkim.selector')}</th>
                    <th scope="col">{t('console:dkim.state')}</th>
                    <th scope="col">{t('console:dkim.algorithm')}</th>
                    <th scope="col">{t('console:dkim.since')}</th>
                  </tr>
                </thead>
                <tbody>
                  {keys.map((k) => (
                    <tr key={k.id}>
                      <th scope="row" data-label={t('console:dkim.selector')}>
                        <code>{k.selector}</code>
                      </th>
                      <td data-label={t('console:dkim.state')}>
                        <StateBadge tone={TONE[k.state]} label={t(`console:dkim.states.${k.state}`)} />
                      </td>
                      <td data-label={t('console:dkim.algorithm')}>
                        {k.algorithm === 'rsa' ? 'RSA' : 'Ed25519'}
                      </td>
                      <td data-label={t('console:dkim.since')}>
                        {formatDateTime(k.retiringAt ?? k.activatedAt ?? k.createdAt, language)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <div class="actions">
              {props.canManage && (
                <button
                  type="button"
                  class="button"
                  onClick={() => setConfirm(mode === 'txt' ? 'delegated' : 'txt')}
                >
                  {mode === 'txt' ? t('console:dkim.toDelegated') : t('console:dkim.toTxt')}
                </button>
              )}
              {isRacine(me) && (
                <button type="button" class="button" onClick={() => setConfirm('rotate')}>
                  {t('console:dkim.rotate')}
                </button>
              )}
            </div>
          </>
        )}
      </LoadState>
      {confirm === 'rotate' && (
        <ConfirmDialog
          title={t('console:dkim.rotateTitle', { name: props.domain })}
          confirmLabel={t('console:dkim.rotateConfirm')}
          onConfirm={async () => {
            const res = await api<Page<DkimKey>>('POST', `${base}/rotate`);
            state.set(res);
            setNotice(t('console:dkim.rotated'));
            announce(t('console:dkim.rotated'));
            props.onChanged();
          }}
          onClose={() => setConfirm(null)}
        >
          <p>{mode === 'txt' ? t('console:dkim.rotateWhatTxt') : t('console:dkim.rotateWhatDelegated')}</p>
        </ConfirmDialog>
      )}
      {(confirm === 'txt' || confirm === 'delegated') && (
        <ConfirmDialog
          title={t('console:dkim.modeTitle')}
          confirmLabel={confirm === 'txt' ? t('console:dkim.toTxt') : t('console:dkim.toDelegated')}
          onConfirm={async () => {
            const res = await api<Page<DkimKey>>('PATCH', base, { body: { mode: confirm } });
            state.set(res);
            setNotice(t('console:dkim.modeChanged'));
            announce(t('console:dkim.modeChanged'));
            props.onChanged();
          }}
          onClose={() => setConfirm(null)}
        >
          <p>{confirm === 'txt' ? t('console:dkim.toTxtWhat') : t('console:dkim.toDelegatedWhat')}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
