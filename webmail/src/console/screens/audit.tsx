import '../console.css';
import i18next from 'i18next';
import { useState } from 'preact/hooks';
import { api } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { Breadcrumbs, collectivePath, CollectiveTabs, Only } from '../components/layout';
import { LoadState } from '../components/load-state';
import { formatDateTime } from '../lib/format';
import type { AuditEntry, AuditPage, Collective, Page } from '../lib/types';
import { useLoad } from '../lib/use-load';

const PAGE_SIZE = 50;
/** Kinds of acts, matched by the start of the action's name (`mailbox.` → every mailbox act). */
const FAMILIES = ['domain', 'dkim', 'mailbox', 'alias', 'member', 'token', 'account', 'collective', 'relay'];
/** Single acts offered on their own: those the catalog names in words. */
const ACTIONS = [
  'domain.create',
  'domain.verify',
  'domain.delete',
  'dkim.rotate',
  'mailbox.create',
  'mailbox.update',
  'mailbox.password.change',
  'mailbox.password.reset',
  'mailbox.delete',
  'alias.create',
  'alias.update',
  'alias.delete',
  'member.add',
  'member.role',
  'member.remove',
  'token.create',
  'token.revoke',
  'account.password.reset',
  'account.totp.reset',
  'collective.suspend',
  'collective.suspend.partial',
  'collective.resume',
  'mailbox.suspend.partial',
  'relay.create',
  'relay.delete',
];

interface Filters {
  actor: string;
  family: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { actor: '', family: '', since: '', until: '' };

/** The day after a date input's value, so "until 3 March" includes the 3rd. */
function dayAfter(date: string): string {
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

/** Who did what, when: a collective's log for its admins, every collective's for a racine. */
export default function AuditScreen(props: { params: { slug?: string } }) {
  const { t } = useI18n();
  const slug = props.params.slug;
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [befores, setBefores] = useState<Array<number | undefined>>([undefined]);
  const before = befores[befores.length - 1];
  const collective = useLoad(
    (signal) =>
      slug
        ? api<Collective>('GET', `/collectives/${encodeURIComponent(slug)}`, { signal })
        : Promise.resolve(null),
    [slug],
  );
  const collectives = useLoad(
    (signal) =>
      slug ? Promise.resolve({ items: [] }) : api<Page<Collective>>('GET', '/collectives', { signal }),
    [slug],
  );
  const page = useLoad(
    (signal) => {
      const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (slug) q.set('collective', slug);
      if (filters.actor.trim()) q.set('actor', filters.actor.trim());
      // A kind (`token`) asks for every act of it (`token.`); a single act (`token.revoke`) for itself.
      if (filters.family)
        q.set('action', filters.family.includes('.') ? filters.family : `${filters.family}.`);
      if (filters.since) q.set('since', new Date(`${filters.since}T00:00:00`).toISOString());
      if (filters.until) q.set('until', dayAfter(filters.until));
      if (before) q.set('before', String(before));
      return api<AuditPage>('GET', `/audit?${q}`, { signal });
    },
    [slug, filters, before],
  );
  const byId = new Map((collectives.data?.items ?? []).map((c) => [c.id, c.slug]));
  const name = collective.data?.name ?? slug ?? '';
  const apply = (event: Event) => {
    event.preventDefault();
    setFilters(draft);
    setBefores([undefined]);
  };
  const title = slug ? t('console:audit.title', { name }) : t('console:audit.titleAll');

  return (
    <Screen title={title}>
      <Breadcrumbs
        items={
          slug
            ? [
                { href: '/console', label: t('console:nav.home') },
                { href: collectivePath(slug), label: name },
                { label: t('console:collective.tabs.audit') },
              ]
            : [{ href: '/console', label: t('console:nav.home') }, { label: t('console:nav.audit') }]
        }
      />
      {slug && <CollectiveTabs slug={slug} />}
      <Only {...(slug ? { adminOf: slug } : { racine: true })}>
        <form class="filters" onSubmit={apply} aria-label={t('console:audit.filters')}>
          <TextField
            id="audit-actor"
            label={t('console:audit.actor')}
            hint={t('console:audit.actorHint')}
            value={draft.actor}
            onValue={(actor) => setDraft({ ...draft, actor })}
            maxLength={320}
          />
          <div class="field">
            <label for="audit-family">{t('console:audit.action')}</label>
            <select
              id="audit-family"
              value={draft.family}
              onChange={(e) => setDraft({ ...draft, family: (e.currentTarget as HTMLSelectElement).value })}
            >
              <option value="">{t('console:audit.allActions')}</option>
              <optgroup label={t('console:audit.kinds')}>
                {FAMILIES.map((f) => (
                  <option key={f} value={f}>
                    {t(`console:audit.families.${f}`)}
                  </option>
                ))}
              </optgroup>
              <optgroup label={t('console:audit.singleActions')}>
                {ACTIONS.map((a) => (
                  <option key={a} value={a}>
                    {actionLabel(a)}
                  </option>
                ))}
              </optgroup>
            </select>
          </div>
          <div class="field">
            <label for="audit-since">{t('console:audit.since')}</label>
            <input
              id="audit-since"
              type="date"
              value={draft.since}
              onInput={(e) => setDraft({ ...draft, since: (e.currentTarget as HTMLInputElement).value })}
            />
          </div>
          <div class="field">
            <label for="audit-until">{t('console:audit.until')}</label>
            <input
              id="audit-until"
              type="date"
              value={draft.until}
              onInput={(e) => setDraft({ ...draft, until: (e.currentTarget as HTMLInputElement).value })}
            />
          </div>
          <div class="actions">
            <button type="submit" class="button button-primary">
              {t('console:audit.apply')}
            </button>
            <button
              type="button"
              class="button"
              onClick={() => {
                setDraft(EMPTY);
                setFilters(EMPTY);
                setBefores([undefined]);
              }}
            >
              {t('console:audit.clear')}
            </button>
          </div>
        </form>
        <LoadState state={page}>
          {(data) => (
            <>
              <p class="visually-hidden" aria-live="polite">
                {t('console:audit.shown', { count: data.items.length })}
              </p>
              {data.items.length === 0 ? (
                <p>{t('console:audit.none')}</p>
              ) : (
                <table class="table">
                  <caption class="visually-hidden">{title}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('console:audit.columns.at')}</th>
                      <th scope="col">{t('console:audit.columns.actor')}</th>
                      <th scope="col">{t('console:audit.columns.action')}</th>
                      {!slug && <th scope="col">{t('console:audit.columns.collective')}</th>}
                      <th scope="col">{t('console:audit.columns.details')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((e) => (
                      <AuditRow
                        key={e.id}
                        entry={e}
                        collective={!slug ? (byId.get(e.collectiveId ?? '') ?? '—') : undefined}
                      />
                    ))}
                  </tbody>
                </table>
              )}
              <nav class="pager" aria-label={t('console:common.pages')}>
                {befores.length > 1 && (
                  <button type="button" class="button" onClick={() => setBefores((b) => b.slice(0, -1))}>
                    {t('console:audit.newer')}
                  </button>
                )}
                {data.nextBefore && (
                  <button
                    type="button"
                    class="button"
                    onClick={() => setBefores((b) => [...b, data.nextBefore ?? undefined])}
                  >
                    {t('console:audit.older')}
                  </button>
                )}
              </nav>
            </>
          )}
        </LoadState>
      </Only>
    </Screen>
  );
}

/** An action's name in words when the catalog has it (`mailbox.create` → "Boîte créée"). */
function actionLabel(action: string): string {
  const key = `console:audit.actions.${action.replace(/\./g, '_')}`;
  return i18next.exists(key) ? i18next.t(key) : action;
}

function AuditRow(props: { entry: AuditEntry; collective?: string }) {
  const { t, language } = useI18n();
  const e = props.entry;
  const details = e.details ? JSON.stringify(e.details) : '';
  return (
    <tr>
      <td data-label={t('console:audit.columns.at')}>
        <time dateTime={e.at}>{formatDateTime(e.at, language)}</time>
      </td>
      <td data-label={t('console:audit.columns.actor')}>{e.actor.label}</td>
      <td data-label={t('console:audit.columns.action')}>
        {actionLabel(e.action)} <code class="muted">{e.action}</code>
      </td>
      {props.collective !== undefined && (
        <td data-label={t('console:audit.columns.collective')}>{props.collective}</td>
      )}
      <td data-label={t('console:audit.columns.details')}>
        <code class="details">{details}</code>
      </td>
    </tr>
  );
}
