import '../console.css';
import { useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api, ApiError } from '../../shell/api';
import type { PublicScreenProps } from '../../shell/areas';
import { useI18n } from '../../shell/i18n';
import { logIn, type Me } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { StrengthMeter } from '../../ui/strength-meter';
import { consoleError } from '../lib/errors';

/** The code travels after `#` in the mailed link: browsers never send it to a server or a log. */
const codeInLink = () => decodeURIComponent(location.hash.replace(/^#/, '')).trim();

/**
 * Someone invited to a collective who has no account yet: the code from the invitation e-mail
 * and a password of their own create the account, which joins the collective; then the person
 * is logged in and offered two-factor authentication.
 */
export default function JoinScreen(props: PublicScreenProps) {
  const { t } = useI18n();
  const [code, setCode] = useState(codeInLink);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<{ code?: string; password?: string; confirm?: string }>({});
  const inputs = {
    code: useRef<HTMLInputElement>(null),
    password: useRef<HTMLInputElement>(null),
    confirm: useRef<HTMLInputElement>(null),
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems = {
      code: code.trim() ? undefined : t('console:join.codeMissing'),
      password: password ? undefined : t('console:join.passwordMissing'),
      confirm: password && confirm !== password ? t('console:join.mismatch') : undefined,
    };
    setFields(problems);
    setError('');
    const first = (['code', 'password', 'confirm'] as const).find((k) => problems[k]);
    if (first) {
      inputs[first].current?.focus();
      return;
    }
    setBusy(true);
    try {
      const joined = await api<{ account: { email: string }; invitation: { collective?: { name: string } } }>(
        'POST',
        '/invitations/accept',
        { body: { code: code.trim(), password }, expectUnauthenticated: true },
      );
      announce(t('console:join.done', { name: joined.invitation.collective?.name ?? '' }));
      const me: Me = await logIn({ login: joined.account.email, password });
      props.onLoggedIn(me, '/console/welcome');
    } catch (e) {
      setBusy(false);
      if (e instanceof ApiError && e.code.startsWith('password_')) {
        setFields({ password: consoleError(e) });
        inputs.password.current?.focus();
      } else if (e instanceof ApiError && e.status === 404) {
        setFields({ code: t('console:join.codeWrong') });
        inputs.code.current?.focus();
      } else {
        setError(consoleError(e));
      }
    }
  };

  return (
    <Screen title={t('console:join.title')} class="screen screen-narrow">
      <p>{t('console:join.intro')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="invitation-code"
          label={t('console:join.code')}
          hint={t('console:join.codeHint')}
          value={code}
          onValue={setCode}
          autoComplete="one-time-code"
          error={fields.code}
          inputRef={inputs.code}
        />
        <TextField
          id="join-password"
          type="password"
          label={t('console:join.password')}
          value={password}
          onValue={setPassword}
          autoComplete="new-password"
          error={fields.password}
          inputRef={inputs.password}
          describedBy="join-password-strength"
        />
        <StrengthMeter id="join-password-strength" password={password} inputs={[]} />
        <TextField
          id="join-confirm"
          type="password"
          label={t('console:join.confirm')}
          value={confirm}
          onValue={setConfirm}
          autoComplete="new-password"
          error={fields.confirm}
          inputRef={inputs.confirm}
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('console:join.submit')}
        </button>
      </form>
      <p>
        {t('console:join.haveAccount')} <a href="/login">{t('console:join.logIn')}</a>
      </p>
    </Screen>
  );
}
