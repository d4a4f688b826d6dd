import '../console.css';
import { useLocation } from 'preact-iso';
import { useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../../shell/api';
import { fieldErrors } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { DomainStateBadge, LastChecked } from '../components/check-summary';
import { Breadcrumbs, CollectiveTabs, domainPath } from '../components/layout';
import { LoadState } from '../components/load-state';
import { canManage } from '../lib/access';
import { consoleError } from '../lib/errors';
import type { Collective, Domain, Page } from '../lib/types';
import { useLoad } from '../lib/use-load';

/** A collective's domains, and the first step of linking a new one. */
export default function CollectiveScreen(props: { params: { slug: string } }) {
  const { t } = useI18n();
  const { me } = useSession();
  const slug = props.params.slug;
  const state = useLoad(
    async (signal) => {
      const [collective, domains] = await Promise.all([
        api<Collective>('GET', `/collectives/${encodeURIComponent(slug)}`, { signal }),
        api<Page<Domain>>('GET', `/collectives/${encodeURIComponent(slug)}/domains`, { signal }),
      ]);
      return { collective, domains: domains.items };
    },
    [slug],
  );
  const name = state.data?.collective.name ?? slug;
  return (
    <Screen title={t('console:collective.title', { name })}>
      <Breadcrumbs items={[{ href: '/console', label: t('console:nav.home') }, { label: name }]} />
      <CollectiveTabs slug={slug} />
      <LoadState state={state}>
        {({ domains }) => (
          <>
            <h2>{t('console:collective.domainsTitle')}</h2>
            {domains.length === 0 ? (
              <p>{t('console:collective.noDomain')}</p>
            ) : (
              <table class="table">
                <caption class="visually-hidden">{t('console:collective.domainsCaption', { name })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('console:collective.columns.domain')}</th>
                    <th scope="col">{t('console:collective.columns.state')}</th>
                    <th scope="col">{t('console:collective.columns.checked')}</th>
                  </tr>
                </thead>
                <tbody>
                  {domains.map((d) => (
                    <tr key={d.id}>
                      <th scope="row" data-label={t('console:collective.columns.domain')}>
                        <a href={domainPath(d.name)}>{d.unicodeName}</a>
                      </th>
                      <td data-label={t('console:collective.columns.state')}>
                        <DomainStateBadge domain={d} />
                      </td>
                      <td data-label={t('console:collective.columns.checked')}>
                        <LastChecked at={d.lastCheckedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {canManage(me, slug) && <LinkDomainForm slug={slug} />}
          </>
        )}
      </LoadState>
    </Screen>
  );
}

function LinkDomainForm(props: { slug: string }) {
  const { t, language } = useI18n();
  const { route } = useLocation();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fieldError, setFieldError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    // People paste what their browser shows: drop a scheme, a path, "www." is theirs to keep.
    const cleaned = name
      .trim()
      .replace(/^[a-z]+:\/\//i, '')
      .replace(/\/.*$/, '')
      .replace(/\.$/, '');
    if (!cleaned) {
      setFieldError(t('console:linkDomain.missing'));
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError('');
    setFieldError('');
    try {
      const domain = await api<Domain>('POST', `/collectives/${encodeURIComponent(props.slug)}/domains`, {
        body: { name: cleaned },
      });
      route(domainPath(domain.name));
    } catch (e) {
      setBusy(false);
      const fields = fieldErrors(e, language);
      if (fields.name) {
        setFieldError(fields.name);
        input.current?.focus();
      } else if (e instanceof ApiError && e.status === 409) {
        setFieldError(consoleError(e));
        input.current?.focus();
      } else {
        setError(consoleError(e));
      }
    }
  };
  return (
    <section class="card" aria-labelledby="link-domain-title">
      <h2 id="link-domain-title">{t('console:linkDomain.title')}</h2>
      <p>{t('console:linkDomain.intro')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form form-inline" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="domain-name"
          label={t('console:linkDomain.name')}
          hint={t('console:linkDomain.hint')}
          value={name}
          onValue={setName}
          inputMode="text"
          maxLength={253}
          error={fieldError}
          inputRef={input}
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('console:linkDomain.submit')}
        </button>
      </form>
    </section>
  );
}
