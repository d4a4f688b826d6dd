import '../console.css';
import { useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api, ApiError } from '../../shell/api';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { StrengthMeter } from '../../ui/strength-meter';
import { TotpDisable, TotpSetup } from '../components/totp-setup';
import { isAccount } from '../lib/access';

/** My account: change my password, turn two-factor authentication on or off. */
export default function AccountScreen() {
  const { t } = useI18n();
  const session = useSession();
  const { me } = session;
  const [notice, setNotice] = useState('');
  if (!isAccount(me)) return null;
  return (
    <Screen title={t('console:account.title')}>
      <p>{t('console:account.intro', { email: me.email })}</p>
      {notice && <Alert kind="success">{notice}</Alert>}
      <section aria-labelledby="password-title" class="card">
        <h2 id="password-title">{t('console:account.passwordTitle')}</h2>
        <PasswordForm email={me.email} onChanged={() => setNotice(t('console:account.passwordChanged'))} />
      </section>
      <section aria-labelledby="totp" class="card">
        <h2 id="totp" tabIndex={-1}>
          {t('console:totp.title')}
        </h2>
        <p>{me.totpEnabled ? t('console:totp.stateOn') : t('console:totp.stateOff')}</p>
        {me.totpEnabled ? (
          <TotpDisable
            onDisabled={() => {
              setNotice(t('console:totp.disabled'));
              void session.refresh();
            }}
          />
        ) : (
          <TotpSetup
            headingLevel={3}
            onEnabled={() => {
              setNotice(t('console:totp.enabled'));
              void session.refresh();
            }}
          />
        )}
      </section>
    </Screen>
  );
}

function PasswordForm(props: { email: string; onChanged: () => void }) {
  const { t } = useI18n();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<{ current?: string; next?: string; confirm?: string }>({});
  const refs = {
    current: useRef<HTMLInputElement>(null),
    next: useRef<HTMLInputElement>(null),
    confirm: useRef<HTMLInputElement>(null),
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems = {
      current: current ? undefined : t('console:account.currentMissing'),
      next: next ? undefined : t('shell:password.newMissing'),
      confirm: next && confirm !== next ? t('shell:password.mismatch') : undefined,
    };
    setFields(problems);
    setError('');
    const first = (['current', 'next', 'confirm'] as const).find((k) => problems[k]);
    if (first) {
      refs[first].current?.focus();
      return;
    }
    setBusy(true);
    try {
      await api('POST', '/me/password', { body: { currentPassword: current, newPassword: next } });
      setCurrent('');
      setNext('');
      setConfirm('');
      announce(t('console:account.passwordChanged'));
      props.onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'invalid_credentials') {
        setFields({ current: t('console:account.currentWrong') });
        refs.current.current?.focus();
      } else if (e instanceof ApiError && e.code.startsWith('password_')) {
        setFields({ next: describeError(e) });
        refs.next.current?.focus();
      } else {
        setError(describeError(e));
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form" onSubmit={submit} noValidate aria-busy={busy}>
      {error && <Alert kind="error">{error}</Alert>}
      <p class="field-hint">{t('console:account.otherSessions')}</p>
      <TextField
        id="account-current"
        type="password"
        label={t('console:account.current')}
        value={current}
        onValue={setCurrent}
        autoComplete="current-password"
        error={fields.current}
        inputRef={refs.current}
      />
      <TextField
        id="account-new"
        type="password"
        label={t('shell:password.new')}
        hint={t('shell:password.newHint')}
        value={next}
        onValue={setNext}
        autoComplete="new-password"
        error={fields.next}
        inputRef={refs.next}
        describedBy="account-new-strength"
      />
      <StrengthMeter id="account-new-strength" password={next} inputs={[props.email]} />
      <TextField
        id="account-confirm"
        type="password"
        label={t('shell:password.confirm')}
        value={confirm}
        onValue={setConfirm}
        autoComplete="new-password"
        error={fields.confirm}
        inputRef={refs.confirm}
      />
      <button type="submit" class="button button-primary" disabled={busy}>
        {t('console:account.save')}
      </button>
    </form>
  );
}
