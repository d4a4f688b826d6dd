import '../console.css';
import { useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Breadcrumbs, collectivePath, CollectiveTabs, Only } from '../components/layout';
import { LoadState } from '../components/load-state';
import { ShownOnce } from '../components/shown-once';
import { StateBadge } from '../components/status-badge';
import { consoleError } from '../lib/errors';
import { formatDateTime } from '../lib/format';
import type { ApiToken, Collective, Page } from '../lib/types';
import { useLoad } from '../lib/use-load';

/** A collective's API tokens: create one (its secret shown once), revoke one. */
export default function TokensScreen(props: { params: { slug: string } }) {
  const { t, language } = useI18n();
  const slug = props.params.slug;
  const base = `/collectives/${encodeURIComponent(slug)}`;
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [notice, setNotice] = useState('');
  const state = useLoad(
    async (signal) => {
      const [collective, tokens] = await Promise.all([
        api<Collective>('GET', base, { signal }),
        api<Page<ApiToken>>('GET', `${base}/tokens`, { signal }),
      ]);
      return { collective, tokens: tokens.items };
    },
    [slug],
  );
  const name = state.data?.collective.name ?? slug;
  return (
    <Screen title={t('console:tokens.title', { name })}>
      <Breadcrumbs
        items={[
          { href: '/console', label: t('console:nav.home') },
          { href: collectivePath(slug), label: name },
          { label: t('console:collective.tabs.tokens') },
        ]}
      />
      <CollectiveTabs slug={slug} />
      <Only adminOf={slug}>
        <p>{t('console:tokens.intro')}</p>
        {notice && <Alert kind="success">{notice}</Alert>}
        {created && (
          <ShownOnce
            title={t('console:tokens.createdTitle', { name: created.name })}
            label={t('console:tokens.secret')}
            value={created.token}
            explanation={t('console:tokens.createdExplain')}
            onDone={() => setCreated(null)}
          />
        )}
        <LoadState state={state}>
          {({ tokens }) =>
            tokens.length === 0 ? (
              <p>{t('console:tokens.none')}</p>
            ) : (
              <table class="table">
                <caption class="visually-hidden">{t('console:tokens.caption', { name })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('console:tokens.columns.name')}</th>
                    <th scope="col">{t('console:tokens.columns.state')}</th>
                    <th scope="col">{t('console:tokens.columns.created')}</th>
                    <th scope="col">{t('console:tokens.columns.lastUsed')}</th>
                    <th scope="col">{t('console:tokens.columns.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {tokens.map((tk) => (
                    <tr key={tk.id}>
                      <th scope="row" data-label={t('console:tokens.columns.name')}>
                        {tk.name}
                      </th>
                      <td data-label={t('console:tokens.columns.state')}>
                        {tk.revokedAt ? (
                          <StateBadge tone="neutral" label={t('console:tokens.revoked')} />
                        ) : (
                          <StateBadge tone="ok" label={t('console:tokens.active')} />
                        )}
                      </td>
                      <td data-label={t('console:tokens.columns.created')}>
                        {formatDateTime(tk.createdAt, language)}
                      </td>
                      <td data-label={t('console:tokens.columns.lastUsed')}>
                        {tk.lastUsedAt
                          ? formatDateTime(tk.lastUsedAt, language)
                          : t('console:tokens.neverUsed')}
                      </td>
                      <td data-label={t('console:tokens.columns.actions')}>
                        {!tk.revokedAt && (
                          <button type="button" class="button button-quiet" onClick={() => setRevoking(tk)}>
                            {t('console:tokens.revoke', { name: tk.name })}
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </LoadState>
        <CreateForm
          slug={slug}
          onCreated={(res) => {
            state.reload();
            setCreated(res);
          }}
        />
        {revoking && (
          <ConfirmDialog
            title={t('console:tokens.revokeTitle', { name: revoking.name })}
            confirmLabel={t('console:tokens.revokeConfirm')}
            danger
            onConfirm={async () => {
              await api('DELETE', `${base}/tokens/${revoking.id}`);
              state.reload();
              const text = t('console:tokens.revokedDone', { name: revoking.name });
              setNotice(text);
              announce(text);
            }}
            onClose={() => setRevoking(null)}
          >
            <p>{t('console:tokens.revokeWhat')}</p>
          </ConfirmDialog>
        )}
      </Only>
    </Screen>
  );
}

function CreateForm(props: { slug: string; onCreated: (r: { name: string; token: string }) => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [nameError, setNameError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!name.trim()) {
      setNameError(t('console:tokens.nameMissing'));
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError('');
    setNameError('');
    try {
      const res = await api<ApiToken & { token: string }>(
        'POST',
        `/collectives/${encodeURIComponent(props.slug)}/tokens`,
        { body: { name: name.trim() } },
      );
      setName('');
      props.onCreated({ name: res.name, token: res.token });
    } catch (e) {
      setError(consoleError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="token-new-title">
      <h2 id="token-new-title">{t('console:tokens.newTitle')}</h2>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form form-inline" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="token-name"
          label={t('console:tokens.name')}
          hint={t('console:tokens.nameHint')}
          value={name}
          onValue={setName}
          maxLength={100}
          error={nameError}
          inputRef={input}
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('console:tokens.create')}
        </button>
      </form>
    </section>
  );
}
