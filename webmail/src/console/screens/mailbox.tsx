import '../console.css';
import { useLocation } from 'preact-iso';
import { useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api, ApiError } from '../../shell/api';
import { describeError, fieldErrors } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { StrengthMeter } from '../../ui/strength-meter';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Breadcrumbs, domainPath, mailboxPath } from '../components/layout';
import { LoadState } from '../components/load-state';
import { StateBadge } from '../components/status-badge';
import { canManage } from '../lib/access';
import { consoleError } from '../lib/errors';
import { formatBytes, formatDateTime } from '../lib/format';
import { handOverRecoveryCode, handOverSetupLink } from '../lib/handoff';
import type { Domain, Mailbox, PasswordOutcome, SessionsEnded, SetupLink } from '../lib/types';
import { useLoad } from '../lib/use-load';

const QUOTAS_GB = [1, 2, 5, 10, 20, 50];

type Dialog = 'reset' | 'suspend' | 'resume' | 'delete' | 'link' | null;

/** One mailbox: what it is, and its admins' acts, each saying what it will do before it does it. */
export default function MailboxScreen(props: { params: { address: string } }) {
  const { t, language } = useI18n();
  const { me } = useSession();
  const { route } = useLocation();
  const address = props.params.address;
  const path = `/mailboxes/${encodeURIComponent(address)}`;
  const domainName = address.split('@')[1] ?? '';
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState('');
  const state = useLoad(
    async (signal) => {
      const [mailbox, domain] = await Promise.all([
        api<Mailbox>('GET', path, { signal }),
        api<Domain>('GET', `/domains/${encodeURIComponent(domainName)}`, { signal }),
      ]);
      return { mailbox, domain };
    },
    [address],
  );
  const done = (text: string) => {
    setNotice(text);
    announce(text);
  };

  return (
    <Screen title={address}>
      <Breadcrumbs
        items={[
          { href: '/console', label: t('console:nav.home') },
          { href: domainPath(domainName), label: state.data?.domain.unicodeName ?? domainName },
          { href: domainPath(domainName, '/mailboxes'), label: t('console:domain.tabs.mailboxes') },
          { label: address },
        ]}
      />
      {notice && <Alert kind="success">{notice}</Alert>}
      <LoadState state={state}>
        {({ mailbox, domain }) => {
          const admin = canManage(me, domain.collective);
          return (
            <>
              <dl class="facts">
                <div>
                  <dt>{t('console:mailbox.status')}</dt>
                  <dd>
                    <StateBadge
                      tone={mailbox.status === 'active' ? 'ok' : 'error'}
                      label={t(`console:mailboxStatus.${mailbox.status}`)}
                    />
                  </dd>
                </div>
                {mailbox.awaitingOwner && (
                  <div>
                    <dt>{t('console:mailbox.password')}</dt>
                    <dd>
                      <StateBadge tone="warning" label={t('console:mailboxStatus.awaitingOwner')} />{' '}
                      {mailbox.setupLinkExpiresAt &&
                      new Date(mailbox.setupLinkExpiresAt).getTime() > Date.now()
                        ? t('console:mailbox.linkValid', {
                            date: formatDateTime(mailbox.setupLinkExpiresAt, language),
                          })
                        : t('console:mailbox.linkExpired', {
                            date: formatDateTime(mailbox.setupLinkExpiresAt, language),
                          })}
                    </dd>
                  </div>
                )}
                {mailbox.mustChangePassword && !mailbox.awaitingOwner && (
                  <div>
                    <dt>{t('console:mailbox.password')}</dt>
                    <dd>
                      <StateBadge tone="warning" label={t('console:mailboxStatus.temporary')} />{' '}
                      {t('console:mailbox.temporaryWhat')}
                    </dd>
                  </div>
                )}
                <div>
                  <dt>{t('console:mailbox.displayName')}</dt>
                  <dd>{mailbox.displayName ?? t('console:mailbox.noDisplayName')}</dd>
                </div>
                <div>
                  <dt>{t('console:mailbox.quota')}</dt>
                  <dd>{formatBytes(mailbox.quotaBytes, language)}</dd>
                </div>
                <div>
                  <dt>{t('console:mailbox.encryption')}</dt>
                  <dd>{t(`console:encryption.${mailbox.encryptionMode}`)}</dd>
                </div>
                <div>
                  <dt>{t('console:mailbox.created')}</dt>
                  <dd>{formatDateTime(mailbox.createdAt, language)}</dd>
                </div>
              </dl>
              {admin && (
                <>
                  <EditForm
                    mailbox={mailbox}
                    onSaved={(m) => {
                      state.set({ mailbox: m, domain });
                      done(t('console:mailbox.saved'));
                    }}
                  />
                  <section class="card" aria-labelledby="mailbox-acts-title">
                    <h2 id="mailbox-acts-title">{t('console:mailbox.acts')}</h2>
                    <div class="actions">
                      {mailbox.awaitingOwner && (
                        <button type="button" class="button" onClick={() => setDialog('link')}>
                          {t('console:mailbox.newLink')}
                        </button>
                      )}
                      <button type="button" class="button" onClick={() => setDialog('reset')}>
                        {t('console:mailbox.reset')}
                      </button>
                      {mailbox.status === 'active' ? (
                        <button type="button" class="button" onClick={() => setDialog('suspend')}>
                          {t('console:mailbox.suspend')}
                        </button>
                      ) : (
                        <button type="button" class="button" onClick={() => setDialog('resume')}>
                          {t('console:mailbox.resume')}
                        </button>
                      )}
                      <button type="button" class="button button-danger" onClick={() => setDialog('delete')}>
                        {t('console:mailbox.delete')}
                      </button>
                    </div>
                  </section>
                </>
              )}
              {dialog === 'reset' && (
                <ResetDialog
                  mailbox={mailbox}
                  onClose={() => setDialog(null)}
                  onDone={(outcome) => {
                    if (outcome.recoveryCode) {
                      handOverRecoveryCode(address, outcome.recoveryCode);
                      route(mailboxPath(address, '/recovery'));
                    } else {
                      done(outcome.consequences[language]);
                    }
                  }}
                />
              )}
              {dialog === 'link' && (
                <ConfirmDialog
                  title={t('console:mailbox.newLinkTitle', { address })}
                  confirmLabel={t('console:mailbox.newLinkConfirm')}
                  onConfirm={async () => {
                    const link = await api<SetupLink>('POST', `${path}/setup-link`);
                    handOverSetupLink(address, link);
                    route(mailboxPath(address, '/setup-link'));
                  }}
                  onClose={() => setDialog(null)}
                >
                  <p>{t('console:mailbox.newLinkWhat')}</p>
                </ConfirmDialog>
              )}
              {(dialog === 'suspend' || dialog === 'resume') && (
                <ConfirmDialog
                  title={t(`console:mailbox.${dialog}Title`, { address })}
                  confirmLabel={t(`console:mailbox.${dialog}`)}
                  danger={dialog === 'suspend'}
                  onConfirm={async () => {
                    const m = await api<Mailbox & { sessions?: SessionsEnded }>('PATCH', path, {
                      body: { status: dialog === 'suspend' ? 'disabled' : 'active' },
                    });
                    state.set({ mailbox: m, domain });
                    const left = m.sessions?.ended === false ? m.sessions.message?.[language] : undefined;
                    done([t(`console:mailbox.${dialog}Done`, { address }), left].filter(Boolean).join(' '));
                  }}
                  onClose={() => setDialog(null)}
                >
                  <p>{t(`console:mailbox.${dialog}What`)}</p>
                </ConfirmDialog>
              )}
              {dialog === 'delete' && (
                <ConfirmDialog
                  title={t('console:mailbox.deleteTitle', { address })}
                  confirmLabel={t('console:mailbox.deleteConfirm')}
                  danger
                  typeToConfirm={address}
                  onConfirm={async () => {
                    // 204, or 200 when Dovecot could not end the sessions the mailbox had open.
                    const answer = await api<{ sessions: SessionsEnded } | undefined>('DELETE', path);
                    const left =
                      answer?.sessions.ended === false ? answer.sessions.message?.[language] : undefined;
                    announce([t('console:mailbox.deleted', { address }), left].filter(Boolean).join(' '));
                    route(domainPath(domainName, '/mailboxes'));
                  }}
                  onClose={() => setDialog(null)}
                >
                  <p>{t('console:mailbox.deleteWhat')}</p>
                </ConfirmDialog>
              )}
            </>
          );
        }}
      </LoadState>
    </Screen>
  );
}

function EditForm(props: { mailbox: Mailbox; onSaved: (m: Mailbox) => void }) {
  const { t, language } = useI18n();
  const [displayName, setDisplayName] = useState(props.mailbox.displayName ?? '');
  const currentGb = Math.round(props.mailbox.quotaBytes / 1024 ** 3);
  const [quota, setQuota] = useState(String(currentGb));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [nameError, setNameError] = useState('');
  const choices = [...new Set([...QUOTAS_GB, currentGb])].filter((n) => n > 0).sort((a, b) => a - b);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError('');
    setNameError('');
    try {
      const m = await api<Mailbox>('PATCH', `/mailboxes/${encodeURIComponent(props.mailbox.address)}`, {
        body: { displayName: displayName.trim() || null, quotaBytes: Number(quota) * 1024 ** 3 },
      });
      props.onSaved(m);
    } catch (e) {
      const fields = fieldErrors(e, language);
      if (fields.displayName) setNameError(fields.displayName);
      else setError(consoleError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="mailbox-edit-title">
      <h2 id="mailbox-edit-title">{t('console:mailbox.edit')}</h2>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form form-medium" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="mailbox-edit-name"
          label={t('console:mailbox.displayName')}
          value={displayName}
          onValue={setDisplayName}
          maxLength={200}
          error={nameError}
        />
        <div class="field">
          <label for="mailbox-edit-quota">{t('console:mailbox.quota')}</label>
          <select
            id="mailbox-edit-quota"
            value={quota}
            onChange={(e) => setQuota((e.currentTarget as HTMLSelectElement).value)}
          >
            {choices.map((gb) => (
              <option key={gb} value={String(gb)}>
                {t('console:mailboxNew.quotaGb', { count: gb })}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('console:common.save')}
        </button>
      </form>
    </section>
  );
}

/** A new password set by an admin: the dialog says first what happens to the encrypted mail. */
function ResetDialog(props: { mailbox: Mailbox; onClose: () => void; onDone: (o: PasswordOutcome) => void }) {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [fields, setFields] = useState<{ password?: string; confirm?: string }>({});
  const passwordInput = useRef<HTMLInputElement>(null);
  const confirmInput = useRef<HTMLInputElement>(null);
  return (
    <ConfirmDialog
      title={t('console:mailbox.resetTitle', { address: props.mailbox.address })}
      confirmLabel={t('console:mailbox.resetConfirm')}
      danger
      onConfirm={async () => {
        if (!password) {
          setFields({ password: t('shell:password.newMissing') });
          passwordInput.current?.focus();
          return false;
        }
        if (confirm !== password) {
          setFields({ confirm: t('shell:password.mismatch') });
          confirmInput.current?.focus();
          return false;
        }
        setFields({});
        try {
          const outcome = await api<PasswordOutcome>(
            'POST',
            `/mailboxes/${encodeURIComponent(props.mailbox.address)}/password`,
            { body: { newPassword: password } },
          );
          props.onDone(outcome);
        } catch (e) {
          if (e instanceof ApiError && e.code.startsWith('password_')) {
            setFields({ password: describeError(e) });
            passwordInput.current?.focus();
            return false;
          }
          throw e;
        }
      }}
      onClose={props.onClose}
    >
      <p>
        {props.mailbox.encryptionMode === 'generated'
          ? t('console:mailbox.resetWhatEncrypted')
          : t('console:mailbox.resetWhatPlain')}
      </p>
      <TextField
        id="reset-password"
        type="password"
        label={t('shell:password.new')}
        value={password}
        onValue={setPassword}
        autoComplete="new-password"
        error={fields.password}
        inputRef={passwordInput}
        describedBy="reset-password-strength"
      />
      <StrengthMeter id="reset-password-strength" password={password} inputs={[props.mailbox.address]} />
      <TextField
        id="reset-password-confirm"
        type="password"
        label={t('shell:password.confirm')}
        value={confirm}
        onValue={setConfirm}
        autoComplete="new-password"
        error={fields.confirm}
        inputRef={confirmInput}
      />
    </ConfirmDialog>
  );
}
