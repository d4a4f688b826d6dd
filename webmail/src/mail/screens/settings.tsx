import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { describeError } from '../../shell/errors';
import { LANGUAGES, setLanguage, useI18n, type Language } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { CopyField } from '../../ui/copy-button';
import { TextField } from '../../ui/field';
import { PasswordForm } from '../../ui/password-form';
import { RecoveryCodeShown } from '../../ui/recovery-code';
import { Screen } from '../../ui/screen';
import {
  accountApi,
  mailApi,
  type AppPassword,
  type Identity,
  type MailSettings,
  type Folder,
  type QuotaUsage,
  type SieveFilter,
  type SieveRules,
} from '../mail-api';
import { loadPreferences, updatePreferences } from '../preferences';
import { Unlocked } from '../ui/unlock';

/** Something loaded for a section: the value, or the API's error in the person's language. */
function useLoaded<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ value?: T; error?: string }>({});
  const reload = () =>
    load().then(
      (value) => setState({ value }),
      (e: unknown) => setState({ error: describeError(e) }),
    );
  useEffect(() => {
    void reload();
  }, deps);
  return { ...state, reload };
}

function Section(props: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="card settings-section" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

function Loading(props: { error?: string }) {
  const { t } = useI18n();
  return props.error ? (
    <Alert kind="error">{props.error}</Alert>
  ) : (
    <p aria-busy="true">{t('shell:app.loading')}</p>
  );
}

function PasswordSection(props: { address: string; onRecoveryCode: (code: string) => void }) {
  const { t } = useI18n();
  const [notice, setNotice] = useState('');
  return (
    <Section id="settings-password" title={t('mail:settings.password.title')}>
      {notice && <Alert kind="success">{notice}</Alert>}
      <PasswordForm
        id="mailbox"
        login={props.address}
        askCurrent
        intro={<p class="field-hint">{t('mail:settings.password.intro')}</p>}
        submitLabel={t('mail:settings.password.submit')}
        onSubmit={async ({ current, next }) => {
          setNotice('');
          const { recoveryCode } = await accountApi.changePassword(props.address, {
            currentPassword: current,
            newPassword: next,
          });
          announce(t('mail:settings.password.changed'));
          if (recoveryCode) props.onRecoveryCode(recoveryCode);
          else setNotice(t('mail:settings.password.changed'));
        }}
      />
    </Section>
  );
}

function LanguageSection() {
  const { t, language } = useI18n();
  const names: Record<Language, string> = { fr: 'Français', en: 'English' };
  return (
    <Section id="settings-language" title={t('mail:settings.language.title')}>
      <fieldset class="field">
        <legend>{t('mail:settings.language.legend')}</legend>
        {LANGUAGES.map((l) => (
          <label key={l} class="checkbox" lang={l}>
            <input
              type="radio"
              name="language"
              value={l}
              checked={language === l}
              onChange={() => void setLanguage(l).then(() => announce(t('shell:language.changed')))}
            />{' '}
            {names[l]}
          </label>
        ))}
      </fieldset>
    </Section>
  );
}

/** Per identity signatures and "sign outgoing mail", kept in the encrypted preferences. */
function WritingSection(props: { address: string; settings: MailSettings }) {
  const { t } = useI18n();
  const loaded = useLoaded(() => loadPreferences(props.address), [props.address]);
  const [signatures, setSignatures] = useState<Record<string, string> | null>(null);
  const [sign, setSign] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  useEffect(() => {
    if (!loaded.value) return;
    setSignatures(loaded.value.signatures);
    setSign(loaded.value.signOutgoing);
  }, [loaded.value]);
  const canSign = props.settings.encryptionMode === 'generated';

  const save = async (event: Event) => {
    event.preventDefault();
    if (!signatures || busy) return;
    setBusy(true);
    setMessage(null);
    try {
      const kept = Object.fromEntries(Object.entries(signatures).filter(([, text]) => text.trim()));
      await updatePreferences(props.address, (current) => ({
        ...current,
        signatures: kept,
        signOutgoing: canSign && sign,
      }));
      announce(t('mail:settings.writing.saved'));
      setMessage({ kind: 'success', text: t('mail:settings.writing.saved') });
    } catch (e) {
      setMessage({ kind: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section id="settings-writing" title={t('mail:settings.writing.title')}>
      {!signatures ? (
        <Loading error={loaded.error} />
      ) : (
        <form class="form" onSubmit={save} noValidate aria-busy={busy}>
          {message && <Alert kind={message.kind}>{message.text}</Alert>}
          <p class="field-hint">{t('mail:settings.writing.intro')}</p>
          {props.settings.identities.map((identity: Identity, i) => {
            const key = identity.address.toLowerCase();
            return (
              <div class="field" key={key}>
                <label for={`signature-${i}`}>
                  {t('mail:settings.writing.signature', { address: identity.address })}
                </label>
                <textarea
                  id={`signature-${i}`}
                  rows={3}
                  maxLength={2000}
                  value={signatures[key] ?? ''}
                  onInput={(e) => setSignatures({ ...signatures, [key]: e.currentTarget.value })}
                />
              </div>
            );
          })}
          {canSign && (
            <div class="field">
              <label class="checkbox">
                <input
                  type="checkbox"
                  checked={sign}
                  aria-describedby="settings-sign-hint"
                  onChange={(e) => setSign(e.currentTarget.checked)}
                />{' '}
                {t('mail:settings.writing.sign')}
              </label>
              <p id="settings-sign-hint" class="field-hint">
                {t('mail:settings.writing.signHint')}
              </p>
            </div>
          )}
          <button type="submit" class="button button-primary" disabled={busy}>
            {t('mail:settings.writing.submit')}
          </button>
        </form>
      )}
    </Section>
  );
}

function formatBytes(bytes: number, language: string): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
  let i = 0;
  let value = bytes;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: units[i],
    unitDisplay: 'short',
    maximumFractionDigits: 1,
  }).format(value);
}

function QuotaSection(props: { address: string }) {
  const { t, language } = useI18n();
  const quota = useLoaded<QuotaUsage>(() => accountApi.quota(props.address), [props.address]);
  const q = quota.value;
  return (
    <Section id="settings-quota" title={t('mail:settings.quota.title')}>
      {!q ? (
        <Loading error={quota.error} />
      ) : q.limitBytes === null ? (
        <p>{t('mail:settings.quota.unlimited', { used: formatBytes(q.usedBytes, language) })}</p>
      ) : (
        <>
          <p id="quota-label">
            {t('mail:settings.quota.used', {
              used: formatBytes(q.usedBytes, language),
              limit: formatBytes(q.limitBytes, language),
              percent: q.percent,
            })}
          </p>
          <meter
            class="quota-meter"
            min={0}
            max={q.limitBytes}
            low={q.limitBytes * 0.8}
            high={q.limitBytes * 0.95}
            optimum={0}
            value={q.usedBytes}
            aria-labelledby="quota-label"
          />
        </>
      )}
    </Section>
  );
}

/**
 * The owner's own folders: create, rename, delete (saying first how many messages go with it).
 * The mailbox's structure (inbox, sent, drafts, trash, junk) is not offered: the server refuses it.
 */
function FoldersSection(props: { address: string }) {
  const { t } = useI18n();
  const folders = useLoaded(() => mailApi.folders(props.address), [props.address]);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  /** The folder being renamed, and its new name as typed. */
  const [renaming, setRenaming] = useState<{ path: string; name: string } | null>(null);
  const [deleting, setDeleting] = useState<Folder | null>(null);
  const own = (folders.value?.folders ?? []).filter((f) => !f.specialUse && f.path.toUpperCase() !== 'INBOX');

  const act = async (work: () => Promise<unknown>, done: string, focus: string) => {
    if (busy) return false;
    setBusy(true);
    setError('');
    try {
      await work();
      announce(done);
      await folders.reload();
      requestAnimationFrame(() => document.getElementById(focus)?.focus());
      return true;
    } catch (e) {
      setError(describeError(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const create = async (event: Event) => {
    event.preventDefault();
    const path = name.trim();
    if (!path) {
      setNameError(t('mail:settings.folders.nameMissing'));
      document.getElementById('folder-new-name')?.focus();
      return;
    }
    setNameError(undefined);
    if (
      await act(
        () => mailApi.createFolder(props.address, path),
        t('mail:settings.folders.created', { name: path }),
        'folder-new-name',
      )
    )
      setName('');
  };
  const rename = async (event: Event) => {
    event.preventDefault();
    if (!renaming || !renaming.name.trim()) return;
    const to = renaming.name.trim();
    if (
      await act(
        () => mailApi.renameFolder(props.address, renaming.path, to),
        t('mail:settings.folders.renamed', { name: to }),
        'settings-folders',
      )
    )
      setRenaming(null);
  };
  const remove = async (f: Folder) => {
    if (
      await act(
        () => mailApi.deleteFolder(props.address, f.path),
        t('mail:settings.folders.deleted', { name: f.name }),
        'settings-folders',
      )
    )
      setDeleting(null);
  };

  return (
    <Section id="settings-folders" title={t('mail:settings.folders.title')}>
      {error && <Alert kind="error">{error}</Alert>}
      {!folders.value ? (
        <Loading error={folders.error} />
      ) : own.length === 0 ? (
        <p>{t('mail:settings.folders.none')}</p>
      ) : (
        <ul class="app-passwords">
          {own.map((f) => (
            <li key={f.path}>
              {renaming?.path === f.path ? (
                <form class="form" onSubmit={rename} noValidate aria-busy={busy}>
                  <TextField
                    id="folder-rename"
                    label={t('mail:settings.folders.newName', { name: f.path })}
                    value={renaming.name}
                    onValue={(v) => setRenaming({ path: f.path, name: v })}
                    maxLength={200}
                  />
                  <button type="submit" class="button" disabled={busy}>
                    {t('mail:settings.folders.renameSave')}
                  </button>{' '}
                  <button type="button" class="button button-quiet" onClick={() => setRenaming(null)}>
                    {t('mail:empty.cancel')}
                  </button>
                </form>
              ) : deleting?.path === f.path ? (
                <div class="alert alert-info" role="group" aria-labelledby="folder-delete-question">
                  <p id="folder-delete-question">
                    {t('mail:settings.folders.deleteConfirm', { name: f.path, count: f.messages })}
                  </p>
                  <button type="button" class="button" disabled={busy} onClick={() => void remove(f)}>
                    {t('mail:settings.folders.deleteGo', { name: f.path })}
                  </button>{' '}
                  <button
                    id="folder-delete-cancel"
                    type="button"
                    class="button button-quiet"
                    onClick={() => setDeleting(null)}
                  >
                    {t('mail:empty.cancel')}
                  </button>
                </div>
              ) : (
                <>
                  <strong>{f.path}</strong> {t('mail:settings.folders.count', { count: f.messages })}{' '}
                  <button
                    type="button"
                    class="button button-quiet"
                    onClick={() => {
                      setDeleting(null);
                      setRenaming({ path: f.path, name: f.path });
                      requestAnimationFrame(() => document.getElementById('folder-rename')?.focus());
                    }}
                  >
                    {t('mail:settings.folders.rename', { name: f.path })}
                  </button>{' '}
                  <button
                    type="button"
                    class="button button-quiet"
                    onClick={() => {
                      setRenaming(null);
                      setDeleting(f);
                      // "Cancel" first, the safe answer.
                      requestAnimationFrame(() => document.getElementById('folder-delete-cancel')?.focus());
                    }}
                  >
                    {t('mail:settings.folders.delete', { name: f.path })}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <form class="form" onSubmit={create} noValidate aria-busy={busy}>
        <TextField
          id="folder-new-name"
          label={t('mail:settings.folders.name')}
          hint={t('mail:settings.folders.nameHint')}
          value={name}
          onValue={setName}
          maxLength={200}
          error={nameError}
        />
        <button type="submit" class="button" disabled={busy}>
          {t('mail:settings.folders.create')}
        </button>
      </form>
    </Section>
  );
}

function AppPasswordsSection(props: { address: string }) {
  const { t, language } = useI18n();
  const list = useLoaded(() => accountApi.appPasswords(props.address), [props.address]);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const [error, setError] = useState('');
  const [created, setCreated] = useState<{ name: string; password: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const date = new Intl.DateTimeFormat(language, { dateStyle: 'medium' });

  const create = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setError('');
    if (!name.trim()) {
      setNameError(t('mail:settings.apps.nameMissing'));
      document.getElementById('app-password-name')?.focus();
      return;
    }
    setNameError(undefined);
    setBusy(true);
    try {
      const made = await accountApi.createAppPassword(props.address, name.trim());
      setCreated({ name: made.name, password: made.password });
      setName('');
      announce(t('mail:settings.apps.created', { name: made.name }));
      await list.reload();
      requestAnimationFrame(() => document.getElementById('app-password-shown')?.focus());
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (item: AppPassword) => {
    setError('');
    try {
      await accountApi.revokeAppPassword(props.address, item.id);
      announce(t('mail:settings.apps.revoked', { name: item.name }));
      await list.reload();
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <Section id="settings-apps" title={t('mail:settings.apps.title')}>
      <p>{t('mail:settings.apps.intro')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      {created && (
        <div class="card card-secret">
          <h3 id="app-password-shown" tabIndex={-1}>
            {t('mail:settings.apps.shownTitle', { name: created.name })}
          </h3>
          <p class="warning-text">
            <span aria-hidden="true">⚠ </span>
            {t('mail:settings.apps.shownOnce')}
          </p>
          <CopyField
            label={t('mail:settings.apps.password')}
            value={created.password}
            copyLabel={t('mail:settings.apps.copy', { name: created.name })}
          />
          <button type="button" class="button" onClick={() => setCreated(null)}>
            {t('mail:settings.apps.kept')}
          </button>
        </div>
      )}
      {!list.value ? (
        <Loading error={list.error} />
      ) : list.value.items.length === 0 ? (
        <p>{t('mail:settings.apps.none')}</p>
      ) : (
        <ul class="app-passwords">
          {list.value.items.map((item) => (
            <li key={item.id}>
              <strong>{item.name}</strong>{' '}
              {item.lastUsedAt
                ? t('mail:settings.apps.lastUsed', { date: date.format(new Date(item.lastUsedAt)) })
                : t('mail:settings.apps.neverUsed')}{' '}
              <button type="button" class="button button-quiet" onClick={() => void revoke(item)}>
                {t('mail:settings.apps.revoke', { name: item.name })}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="form" onSubmit={create} noValidate aria-busy={busy}>
        <TextField
          id="app-password-name"
          label={t('mail:settings.apps.name')}
          hint={t('mail:settings.apps.nameHint')}
          value={name}
          onValue={setName}
          maxLength={100}
          error={nameError}
        />
        <button type="submit" class="button" disabled={busy}>
          {t('mail:settings.apps.create')}
        </button>
      </form>
    </Section>
  );
}

/** The mailbox's one Sieve script as rules, shared by the sections that change part of it. */
interface SieveProps {
  address: string;
  rules: SieveRules;
  otherScriptActive: boolean;
  /** Saves the whole rule set; the sections each change their part of the latest one. */
  save: (rules: SieveRules) => Promise<void>;
}

/** The vacation reply and the filters: one script in Dovecot (ManageSieve), read once. */
function SieveSections(props: { address: string }) {
  const { t } = useI18n();
  const sieve = useLoaded(() => accountApi.sieve(props.address), [props.address]);
  const [rules, setRules] = useState<SieveRules | null>(null);
  useEffect(() => {
    if (sieve.value) setRules(sieve.value.rules);
  }, [sieve.value]);
  if (!rules || !sieve.value) {
    return (
      <Section id="settings-vacation" title={t('mail:settings.vacation.title')}>
        <Loading error={sieve.error} />
      </Section>
    );
  }
  const shared: SieveProps = {
    address: props.address,
    rules,
    otherScriptActive: sieve.value.otherScriptActive,
    save: async (next) => setRules((await accountApi.saveSieve(props.address, next)).rules),
  };
  return (
    <>
      <VacationSection {...shared} />
      <FiltersSection {...shared} />
    </>
  );
}

/** The vacation reply Dovecot sends at delivery (Sieve, RFC 5230). */
function VacationSection(props: SieveProps) {
  const { t } = useI18n();
  const [form, setForm] = useState(() => {
    const v = props.rules.vacation;
    return { on: Boolean(v), subject: v?.subject ?? '', body: v?.body ?? '', until: v?.until ?? '' };
  });
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);

  const save = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setMessage(null);
    const rules: SieveRules = {
      filters: props.rules.filters,
      vacation: form.on
        ? {
            subject: form.subject,
            body: form.body,
            days: props.rules.vacation?.days ?? 7,
            ...(form.until ? { until: form.until } : {}),
          }
        : null,
    };
    try {
      await props.save(rules);
      const text = form.on ? t('mail:settings.vacation.on') : t('mail:settings.vacation.off');
      announce(text);
      setMessage({ kind: 'success', text });
    } catch (e) {
      setMessage({ kind: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section id="settings-vacation" title={t('mail:settings.vacation.title')}>
      <form class="form" onSubmit={save} noValidate aria-busy={busy}>
        {message && <Alert kind={message.kind}>{message.text}</Alert>}
        {props.otherScriptActive && <Alert kind="info">{t('mail:settings.vacation.other')}</Alert>}
        <p class="field-hint">{t('mail:settings.vacation.intro')}</p>
        <div class="field">
          <label class="checkbox">
            <input
              type="checkbox"
              checked={form.on}
              onChange={(e) => setForm({ ...form, on: e.currentTarget.checked })}
            />{' '}
            {t('mail:settings.vacation.enable')}
          </label>
        </div>
        {form.on && (
          <>
            <TextField
              id="vacation-subject"
              label={t('mail:settings.vacation.subject')}
              value={form.subject}
              onValue={(subject) => setForm({ ...form, subject })}
              maxLength={200}
            />
            <div class="field">
              <label for="vacation-body">{t('mail:settings.vacation.body')}</label>
              <textarea
                id="vacation-body"
                rows={5}
                maxLength={10000}
                value={form.body}
                onInput={(e) => setForm({ ...form, body: e.currentTarget.value })}
              />
            </div>
            <div class="field">
              <label for="vacation-until">{t('mail:settings.vacation.until')}</label>
              <input
                id="vacation-until"
                type="date"
                value={form.until}
                onInput={(e) => setForm({ ...form, until: e.currentTarget.value })}
              />
            </div>
          </>
        )}
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('mail:settings.vacation.submit')}
        </button>
      </form>
    </Section>
  );
}

const NEW_FOLDER = '';

/**
 * Filters run by Dovecot at delivery (Sieve, RFC 5228), before the vacation reply: a header
 * that contains or is a value files the message into a folder (made if missing) or discards it.
 * They see only the clear headers: the body is encrypted by then.
 */
function FiltersSection(props: SieveProps) {
  const { t } = useI18n();
  const folders = useLoaded(() => mailApi.folders(props.address), [props.address]);
  const choosable = (folders.value?.folders ?? []).filter(
    (f: Folder) => f.specialUse !== '\\Drafts' && f.specialUse !== '\\Sent',
  );
  const empty = { field: 'from', match: 'contains', value: '', action: 'move', folder: NEW_FOLDER, name: '' };
  const [form, setForm] = useState(empty);
  const [errors, setErrors] = useState<{ value?: string; name?: string }>({});
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const folderLabel = (path: string) => {
    const f = choosable.find((x) => x.path === path);
    return f?.specialUse
      ? t(`mail:folders.${f.specialUse.slice(1).toLowerCase()}`, { defaultValue: f.name })
      : path;
  };
  const describe = (f: SieveFilter) =>
    t(`mail:settings.filters.rule.${f.action}`, {
      field: t(`mail:settings.filters.fields.${f.field}`),
      match: t(`mail:settings.filters.matches.${f.match}`),
      value: f.value,
      folder: f.folder ? folderLabel(f.folder) : '',
    });

  const store = async (filters: SieveFilter[], done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await props.save({ ...props.rules, filters });
      announce(done);
      setMessage({ kind: 'success', text: done });
      return true;
    } catch (e) {
      setMessage({ kind: 'error', text: describeError(e) });
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const folder = form.folder === NEW_FOLDER ? form.name.trim() : form.folder;
    const problems = {
      value: form.value.trim() ? undefined : t('mail:settings.filters.valueMissing'),
      name: form.action === 'move' && !folder ? t('mail:settings.filters.folderMissing') : undefined,
    };
    setErrors(problems);
    if (problems.value || problems.name) {
      document.getElementById(problems.value ? 'filter-value' : 'filter-folder-name')?.focus();
      return;
    }
    const filter = {
      field: form.field,
      match: form.match,
      value: form.value.trim(),
      action: form.action,
      ...(form.action === 'move' ? { folder } : {}),
    } as SieveFilter;
    if (await store([...props.rules.filters, filter], t('mail:settings.filters.added'))) setForm(empty);
  };

  return (
    <Section id="settings-filters" title={t('mail:settings.filters.title')}>
      {message && <Alert kind={message.kind}>{message.text}</Alert>}
      <p class="field-hint">{t('mail:settings.filters.intro')}</p>
      {props.rules.filters.length === 0 ? (
        <p>{t('mail:settings.filters.none')}</p>
      ) : (
        <ol class="settings-filters">
          {props.rules.filters.map((f, i) => (
            <li key={i}>
              {describe(f)}{' '}
              <button
                type="button"
                class="button button-quiet"
                disabled={busy}
                aria-label={t('mail:settings.filters.removeNamed', { rule: describe(f) })}
                onClick={() =>
                  void store(
                    props.rules.filters.filter((_, j) => j !== i),
                    t('mail:settings.filters.removed'),
                  )
                }
              >
                {t('mail:settings.filters.remove')}
              </button>
            </li>
          ))}
        </ol>
      )}
      <form class="form" onSubmit={(e) => void add(e)} noValidate aria-busy={busy}>
        <fieldset class="field">
          <legend>{t('mail:settings.filters.new')}</legend>
          <div class="field">
            <label for="filter-field">{t('mail:settings.filters.field')}</label>
            <select
              id="filter-field"
              value={form.field}
              onChange={(e) => setForm({ ...form, field: e.currentTarget.value })}
            >
              {['from', 'to', 'subject', 'list-id'].map((f) => (
                <option key={f} value={f}>
                  {t(`mail:settings.filters.fields.${f}`)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="filter-match">{t('mail:settings.filters.match')}</label>
            <select
              id="filter-match"
              value={form.match}
              onChange={(e) => setForm({ ...form, match: e.currentTarget.value })}
            >
              {['contains', 'is'].map((m) => (
                <option key={m} value={m}>
                  {t(`mail:settings.filters.matches.${m}`)}
                </option>
              ))}
            </select>
          </div>
          <TextField
            id="filter-value"
            label={t('mail:settings.filters.value')}
            value={form.value}
            onValue={(value) => setForm({ ...form, value })}
            maxLength={200}
            error={errors.value}
          />
          <div class="field">
            <label for="filter-action">{t('mail:settings.filters.action')}</label>
            <select
              id="filter-action"
              value={form.action}
              onChange={(e) => setForm({ ...form, action: e.currentTarget.value })}
            >
              {['move', 'discard'].map((a) => (
                <option key={a} value={a}>
                  {t(`mail:settings.filters.actions.${a}`)}
                </option>
              ))}
            </select>
          </div>
          {form.action === 'move' && (
            <>
              <div class="field">
                <label for="filter-folder">{t('mail:settings.filters.folder')}</label>
                <select
                  id="filter-folder"
                  value={form.folder}
                  onChange={(e) => setForm({ ...form, folder: e.currentTarget.value })}
                >
                  <option value={NEW_FOLDER}>{t('mail:settings.filters.newFolder')}</option>
                  {choosable.map((f) => (
                    <option key={f.path} value={f.path}>
                      {folderLabel(f.path)}
                    </option>
                  ))}
                </select>
              </div>
              {form.folder === NEW_FOLDER && (
                <TextField
                  id="filter-folder-name"
                  label={t('mail:settings.filters.folderName')}
                  value={form.name}
                  onValue={(name) => setForm({ ...form, name })}
                  maxLength={200}
                  error={errors.name}
                />
              )}
            </>
          )}
        </fieldset>
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('mail:settings.filters.submit')}
        </button>
      </form>
    </Section>
  );
}

/** The mailbox's own settings: password, language, writing, storage, app passwords, vacation, filters. */
export default function SettingsScreen() {
  const { t } = useI18n();
  const { me } = useSession();
  const address = me.type === 'mailbox' ? me.address : '';
  const settings = useLoaded(() => mailApi.settings(address), [address]);
  const [recoveryCode, setRecoveryCode] = useState<string | null>(null);

  if (recoveryCode) {
    return (
      <Screen title={t('shell:recovery.title')} class="screen screen-medium">
        <RecoveryCodeShown
          code={recoveryCode}
          explanation={t('shell:recovery.yours', { address })}
          keptLabel={t('shell:recovery.kept')}
          doneLabel={t('mail:settings.backToSettings')}
          onDone={() => setRecoveryCode(null)}
        />
      </Screen>
    );
  }
  return (
    <Unlocked>
      <Screen title={t('mail:settings.title')} class="screen mail-screen settings">
        <PasswordSection address={address} onRecoveryCode={setRecoveryCode} />
        <LanguageSection />
        {settings.value ? (
          <WritingSection address={address} settings={settings.value} />
        ) : (
          <Loading error={settings.error} />
        )}
        <QuotaSection address={address} />
        <FoldersSection address={address} />
        <AppPasswordsSection address={address} />
        <SieveSections address={address} />
      </Screen>
    </Unlocked>
  );
}
