import '../../console.css';
import { useRef, useState } from 'preact/hooks';
import { announce } from '../../../shell/announce';
import { api } from '../../../shell/api';
import { fieldErrors } from '../../../shell/errors';
import { useI18n } from '../../../shell/i18n';
import { Alert } from '../../../ui/alert';
import { TextField } from '../../../ui/field';
import { Screen } from '../../../ui/screen';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { collectivePath, Only } from '../../components/layout';
import { LoadState } from '../../components/load-state';
import { consoleError } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import type { Collective, Page, SessionsEnded } from '../../lib/types';
import { useLoad } from '../../lib/use-load';

/** Racine: every collective; create one, suspend or lift one, delete an empty one. */
export default function CollectivesScreen() {
  const { t, language } = useI18n();
  const [deleting, setDeleting] = useState<Collective | null>(null);
  const [suspending, setSuspending] = useState<Collective | null>(null);
  const [notice, setNotice] = useState('');
  const state = useLoad((signal) => api<Page<Collective>>('GET', '/collectives', { signal }), []);
  const say = (text: string) => {
    setNotice(text);
    announce(text);
  };
  return (
    <Screen title={t('console:collectives.title')}>
      <Only racine>
        {notice && <Alert kind="success">{notice}</Alert>}
        <LoadState state={state}>
          {({ items }) => (
            <table class="table">
              <caption class="visually-hidden">{t('console:collectives.title')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('console:collectives.columns.name')}</th>
                  <th scope="col">{t('console:collectives.columns.slug')}</th>
                  <th scope="col">{t('console:collectives.columns.created')}</th>
                  <th scope="col">{t('console:collectives.columns.status')}</th>
                  <th scope="col">{t('console:collectives.columns.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.id}>
                    <th scope="row" data-label={t('console:collectives.columns.name')}>
                      <a href={collectivePath(c.slug)}>{c.name}</a>
                    </th>
                    <td data-label={t('console:collectives.columns.slug')}>
                      <code>{c.slug}</code>
                    </td>
                    <td data-label={t('console:collectives.columns.created')}>
                      {formatDate(c.createdAt, language)}
                    </td>
                    <td data-label={t('console:collectives.columns.status')}>
                      {c.suspension ? (
                        <>
                          <strong>
                            {t('console:collectives.suspendedSince', {
                              date: formatDate(c.suspension.since, language),
                            })}
                          </strong>
                          <br />
                          {t('console:collectives.suspendedReason', { reason: c.suspension.reason })}
                        </>
                      ) : (
                        t('console:collectives.active')
                      )}
                    </td>
                    <td data-label={t('console:collectives.columns.actions')}>
                      <button type="button" class="button button-quiet" onClick={() => setSuspending(c)}>
                        {t(c.suspension ? 'console:collectives.resume' : 'console:collectives.suspend', {
                          name: c.name,
                        })}
                      </button>{' '}
                      <button type="button" class="button button-quiet" onClick={() => setDeleting(c)}>
                        {t('console:collectives.delete', { name: c.name })}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </LoadState>
        <CreateForm
          onCreated={(c) => {
            state.reload();
            say(t('console:collectives.created', { name: c.name }));
          }}
        />
        {suspending && (
          <SuspendDialog
            collective={suspending}
            onDone={(c) => {
              state.reload();
              const done = t(c.suspension ? 'console:collectives.suspended' : 'console:collectives.resumed', {
                name: c.name,
              });
              // Suspended, but Dovecot did not end the open sessions: the answer says what to do.
              const left = c.sessions?.ended === false ? c.sessions.message?.[language] : undefined;
              say([done, left].filter(Boolean).join(' '));
            }}
            onClose={() => setSuspending(null)}
          />
        )}
        {deleting && (
          <ConfirmDialog
            title={t('console:collectives.deleteTitle', { name: deleting.name })}
            confirmLabel={t('console:collectives.deleteConfirm')}
            danger
            typeToConfirm={deleting.slug}
            onConfirm={async () => {
              await api('DELETE', `/collectives/${encodeURIComponent(deleting.slug)}`);
              state.reload();
              say(t('console:collectives.deleted', { name: deleting.name }));
            }}
            onClose={() => setDeleting(null)}
          >
            <p>{t('console:collectives.deleteWhat')}</p>
          </ConfirmDialog>
        )}
      </Only>
    </Screen>
  );
}

/** Suspends a collective, or lifts its suspension, saying first what it changes; a reason is required. */
function SuspendDialog(props: {
  collective: Collective;
  onDone: (c: Collective & { sessions?: SessionsEnded }) => void;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const { collective } = props;
  const suspend = !collective.suspension;
  const key = suspend ? 'suspend' : 'resume';
  return (
    <ConfirmDialog
      title={t(`console:collectives.${key}Title`, { name: collective.name })}
      confirmLabel={t(`console:collectives.${key}Confirm`)}
      danger={suspend}
      onConfirm={async () => {
        if (!reason.trim()) {
          setError(t('console:collectives.reasonMissing'));
          input.current?.focus();
          return false;
        }
        const c = await api<Collective & { sessions?: SessionsEnded }>(
          'PUT',
          `/collectives/${encodeURIComponent(collective.slug)}/suspension`,
          {
            body: { suspended: suspend, reason: reason.trim() },
          },
        );
        props.onDone(c);
      }}
      onClose={props.onClose}
    >
      {suspend ? (
        <ul>
          <li>{t('console:collectives.suspendMail')}</li>
          <li>{t('console:collectives.suspendPeople')}</li>
          <li>{t('console:collectives.suspendMailboxes')}</li>
          <li>{t('console:collectives.suspendLift')}</li>
        </ul>
      ) : (
        <p>{t('console:collectives.resumeWhat')}</p>
      )}
      <TextField
        id="collective-suspension-reason"
        label={t('console:collectives.reason')}
        hint={t('console:collectives.reasonHint')}
        value={reason}
        onValue={setReason}
        maxLength={500}
        error={error}
        inputRef={input}
      />
    </ConfirmDialog>
  );
}

function CreateForm(props: { onCreated: (c: Collective) => void }) {
  const { t, language } = useI18n();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<{ slug?: string; name?: string }>({});
  const slugInput = useRef<HTMLInputElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems = {
      name: name.trim() ? undefined : t('console:collectives.nameMissing'),
      slug: slug.trim() ? undefined : t('console:collectives.slugMissing'),
    };
    setFields(problems);
    setError('');
    if (problems.name) return nameInput.current?.focus();
    if (problems.slug) return slugInput.current?.focus();
    setBusy(true);
    try {
      const c = await api<Collective>('POST', '/collectives', {
        body: { slug: slug.trim().toLowerCase(), name: name.trim() },
      });
      setSlug('');
      setName('');
      props.onCreated(c);
    } catch (e) {
      const byField = fieldErrors(e, language);
      if (byField.slug || byField.name) {
        setFields(byField);
        (byField.name ? nameInput : slugInput).current?.focus();
      } else setError(consoleError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="collective-new-title">
      <h2 id="collective-new-title">{t('console:collectives.newTitle')}</h2>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form form-medium" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="collective-name"
          label={t('console:collectives.name')}
          value={name}
          onValue={setName}
          maxLength={200}
          error={fields.name}
          inputRef={nameInput}
        />
        <TextField
          id="collective-slug"
          label={t('console:collectives.slug')}
          hint={t('console:collectives.slugHint')}
          value={slug}
          onValue={setSlug}
          maxLength={63}
          error={fields.slug}
          inputRef={slugInput}
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('console:collectives.create')}
        </button>
      </form>
    </section>
  );
}
