import '../console.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api } from '../../shell/api';
import { fieldErrors } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Breadcrumbs, domainPath, DomainTabs } from '../components/layout';
import { LoadState } from '../components/load-state';
import { canManage } from '../lib/access';
import { consoleError } from '../lib/errors';
import type { Alias, Domain, Page } from '../lib/types';
import { useLoad } from '../lib/use-load';

/** Destinations outside the alias's own domain: forwarding there meets SPF and DMARC. */
const externalOf = (destinations: string[], domain: string) =>
  destinations.filter((d) => d.split('@')[1]?.toLowerCase() !== domain);

const parseDestinations = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** A domain's aliases: addresses that forward, the catch-all, the role addresses RFC 2142 asks for. */
export default function AliasesScreen(props: { params: { name: string } }) {
  const { t } = useI18n();
  const { me } = useSession();
  const name = props.params.name;
  const base = `/domains/${encodeURIComponent(name)}`;
  const [editing, setEditing] = useState<Alias | null>(null);
  const [deleting, setDeleting] = useState<Alias | null>(null);
  const [notice, setNotice] = useState('');
  const state = useLoad(
    async (signal) => {
      const [domain, aliases] = await Promise.all([
        api<Domain>('GET', base, { signal }),
        api<Page<Alias>>('GET', `${base}/aliases`, { signal }),
      ]);
      return { domain, aliases: aliases.items };
    },
    [name],
  );
  const unicode = state.data?.domain.unicodeName ?? name;
  const say = (text: string) => {
    setNotice(text);
    announce(text);
  };
  return (
    <Screen title={t('console:aliases.title', { name: unicode })}>
      <Breadcrumbs
        items={[
          { href: '/console', label: t('console:nav.home') },
          { href: domainPath(name), label: unicode },
          { label: t('console:domain.tabs.aliases') },
        ]}
      />
      <DomainTabs name={name} />
      <p>{t('console:aliases.intro')}</p>
      {notice && <Alert kind="success">{notice}</Alert>}
      <LoadState state={state}>
        {({ domain, aliases }) => {
          const admin = canManage(me, domain.collective);
          return (
            <>
              {aliases.length === 0 ? (
                <p>{t('console:aliases.none')}</p>
              ) : (
                <table class="table">
                  <caption class="visually-hidden">{t('console:aliases.caption', { name: unicode })}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('console:aliases.columns.source')}</th>
                      <th scope="col">{t('console:aliases.columns.destinations')}</th>
                      {admin && <th scope="col">{t('console:aliases.columns.actions')}</th>}
                    </tr>
                  </thead>
                  <tbody>
                    {aliases.map((a) => (
                      <tr key={a.id}>
                        <th scope="row" data-label={t('console:aliases.columns.source')}>
                          {a.catchAll
                            ? t('console:aliases.catchAllLabel', { domain: domain.name })
                            : a.source}
                          {a.system && <span class="tag">{t('console:aliases.system')}</span>}
                        </th>
                        <td data-label={t('console:aliases.columns.destinations')}>
                          <ul class="plain">
                            {a.destinations.map((d) => (
                              <li key={d}>{d}</li>
                            ))}
                          </ul>
                          {externalOf(a.destinations, domain.name).length > 0 && (
                            <p class="trap">{t('console:aliases.externalShort')}</p>
                          )}
                        </td>
                        {admin && (
                          <td data-label={t('console:aliases.columns.actions')}>
                            <div class="actions">
                              <button type="button" class="button button-quiet" onClick={() => setEditing(a)}>
                                {t('console:aliases.edit', { source: a.source })}
                              </button>
                              {!a.system && (
                                <button
                                  type="button"
                                  class="button button-quiet"
                                  onClick={() => setDeleting(a)}
                                >
                                  {t('console:aliases.delete', { source: a.source })}
                                </button>
                              )}
                            </div>
                          </td>
                        )}
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {admin && (
                <AliasForm
                  key={editing?.id ?? 'new'}
                  domain={domain}
                  editing={editing}
                  onSaved={(alias, created) => {
                    setEditing(null);
                    state.reload();
                    say(
                      t(created ? 'console:aliases.created' : 'console:aliases.saved', {
                        source: alias.source,
                      }),
                    );
                  }}
                  onCancel={() => setEditing(null)}
                />
              )}
              {deleting && (
                <ConfirmDialog
                  title={t('console:aliases.deleteTitle', { source: deleting.source })}
                  confirmLabel={t('console:aliases.deleteConfirm')}
                  danger
                  onConfirm={async () => {
                    await api('DELETE', `/aliases/${deleting.id}`);
                    state.reload();
                    say(t('console:aliases.deleted', { source: deleting.source }));
                  }}
                  onClose={() => setDeleting(null)}
                >
                  <p>{t('console:aliases.deleteWhat', { source: deleting.source })}</p>
                </ConfirmDialog>
              )}
            </>
          );
        }}
      </LoadState>
    </Screen>
  );
}

function AliasForm(props: {
  domain: Domain;
  editing: Alias | null;
  onSaved: (alias: Alias, created: boolean) => void;
  onCancel: () => void;
}) {
  const { t, language } = useI18n();
  const editing = props.editing;
  const [localPart, setLocalPart] = useState('');
  const [catchAll, setCatchAll] = useState(false);
  const [destinations, setDestinations] = useState(editing ? editing.destinations.join('\n') : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<{ localPart?: string; destinations?: string }>({});
  const localInput = useRef<HTMLInputElement>(null);
  const destInput = useRef<HTMLTextAreaElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const external = externalOf(parseDestinations(destinations), props.domain.name);
  useEffect(() => {
    if (editing) heading.current?.focus();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const list = parseDestinations(destinations);
    const problems = {
      localPart:
        !editing && !catchAll && !localPart.trim() ? t('console:aliases.localPartMissing') : undefined,
      destinations: list.length ? undefined : t('console:aliases.destinationsMissing'),
    };
    setFields(problems);
    setError('');
    if (problems.localPart) return localInput.current?.focus();
    if (problems.destinations) return destInput.current?.focus();
    setBusy(true);
    try {
      const alias = editing
        ? await api<Alias>('PATCH', `/aliases/${editing.id}`, { body: { destinations: list } })
        : await api<Alias>('POST', `/domains/${encodeURIComponent(props.domain.name)}/aliases`, {
            body: { localPart: catchAll ? '*' : localPart.trim().toLowerCase(), destinations: list },
          });
      props.onSaved(alias, !editing);
    } catch (e) {
      setBusy(false);
      const byField = fieldErrors(e, language);
      const destError = Object.entries(byField).find(([k]) => k.startsWith('destinations'))?.[1];
      if (byField.localPart) {
        setFields({ localPart: byField.localPart });
        localInput.current?.focus();
      } else if (destError) {
        setFields({ destinations: destError });
        destInput.current?.focus();
      } else {
        setError(consoleError(e));
      }
    }
  };

  return (
    <section class="card" aria-labelledby="alias-form-title">
      <h2 id="alias-form-title" tabIndex={-1} ref={heading}>
        {editing ? t('console:aliases.editTitle', { source: editing.source }) : t('console:aliases.newTitle')}
      </h2>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form form-medium" onSubmit={submit} noValidate aria-busy={busy}>
        {!editing && (
          <>
            <label class="checkbox">
              <input
                type="checkbox"
                checked={catchAll}
                onChange={(e) => setCatchAll((e.currentTarget as HTMLInputElement).checked)}
                aria-describedby="alias-catchall-hint"
              />
              {t('console:aliases.catchAll')}
            </label>
            <p id="alias-catchall-hint" class="field-hint">
              {t('console:aliases.catchAllHint', { domain: props.domain.name })}
            </p>
            {!catchAll && (
              <TextField
                id="alias-local-part"
                label={t('console:aliases.localPart')}
                hint={t('console:aliases.localPartHint', {
                  address: `${localPart.trim().toLowerCase() || '…'}@${props.domain.name}`,
                })}
                value={localPart}
                onValue={setLocalPart}
                maxLength={64}
                error={fields.localPart}
                inputRef={localInput}
              />
            )}
          </>
        )}
        <div class={fields.destinations ? 'field field-invalid' : 'field'}>
          <label for="alias-destinations">{t('console:aliases.destinations')}</label>
          <p id="alias-destinations-hint" class="field-hint">
            {t('console:aliases.destinationsHint')}
          </p>
          <textarea
            id="alias-destinations"
            ref={destInput}
            rows={3}
            value={destinations}
            onInput={(e) => setDestinations((e.currentTarget as HTMLTextAreaElement).value)}
            autoCapitalize="none"
            spellcheck={false}
            aria-invalid={fields.destinations ? 'true' : undefined}
            aria-describedby={`alias-destinations-hint${fields.destinations ? ' alias-destinations-error' : ''}${external.length ? ' alias-external' : ''}`}
          />
          {fields.destinations && (
            <p id="alias-destinations-error" class="field-error">
              {fields.destinations}
            </p>
          )}
        </div>
        {external.length > 0 && (
          <div id="alias-external" class="alert alert-info">
            <p>{t('console:aliases.externalTitle', { addresses: external.join(', ') })}</p>
            <p>{t('console:aliases.externalWhy')}</p>
          </div>
        )}
        <div class="actions">
          <button type="submit" class="button button-primary" disabled={busy}>
            {editing ? t('console:common.save') : t('console:aliases.create')}
          </button>
          {editing && (
            <button type="button" class="button" onClick={props.onCancel}>
              {t('console:common.cancel')}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
