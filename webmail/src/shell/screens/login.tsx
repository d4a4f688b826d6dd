import { useEffect, useRef, useState } from 'preact/hooks';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { announce } from '../announce';
import { ApiError } from '../api';
import { describeError } from '../errors';
import { useI18n } from '../i18n';
import { logIn, type Me } from '../session';

/**
 * One login for everyone: a console account's e-mail or a mailbox address, the password, and
 * the authenticator code when the API answers `totp_required`.
 */
export function LoginScreen(props: { notice?: string; onLoggedIn: (me: Me) => void }) {
  const { t } = useI18n();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<{ login?: string; password?: string; totp?: string }>({});
  const loginInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);
  const totpInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (askTotp) totpInput.current?.focus();
  }, [askTotp]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const missing = {
      login: login.trim() ? undefined : t('shell:login.loginMissing'),
      password: password ? undefined : t('shell:login.passwordMissing'),
      totp: askTotp && !/^\d{6}$/.test(totp.trim()) ? t('shell:login.totpInvalid') : undefined,
    };
    setFields(missing);
    setError('');
    if (missing.login || missing.password || missing.totp) {
      (missing.login ? loginInput : missing.password ? passwordInput : totpInput).current?.focus();
      return;
    }
    setBusy(true);
    try {
      const me = await logIn({
        login: login.trim(),
        password,
        ...(askTotp ? { totp: totp.trim() } : {}),
      });
      props.onLoggedIn(me);
    } catch (e) {
      setBusy(false);
      if (e instanceof ApiError && e.code === 'totp_required') {
        setAskTotp(true);
        announce(t('shell:login.totpAsked'));
        return;
      }
      if (e instanceof ApiError && e.code === 'invalid_credentials' && askTotp) {
        setTotp('');
        setError(t('shell:login.totpWrong'));
        totpInput.current?.focus();
        return;
      }
      setError(describeError(e));
    }
  };

  return (
    <Screen title={t('shell:login.title')} class="screen screen-narrow">
      <p>{t('shell:login.intro')}</p>
      {props.notice && !error && <Alert kind="info">{props.notice}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="login"
          label={t('shell:login.login')}
          value={login}
          onValue={setLogin}
          autoComplete="username"
          inputMode="email"
          maxLength={320}
          error={fields.login}
          inputRef={loginInput}
        />
        <TextField
          id="password"
          type="password"
          label={t('shell:login.password')}
          value={password}
          onValue={setPassword}
          autoComplete="current-password"
          error={fields.password}
          inputRef={passwordInput}
        />
        {askTotp && (
          <TextField
            id="totp"
            label={t('shell:login.totp')}
            hint={t('shell:login.totpHint')}
            value={totp}
            onValue={setTotp}
            autoComplete="one-time-code"
            inputMode="numeric"
            maxLength={6}
            error={fields.totp}
            inputRef={totpInput}
          />
        )}
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t('shell:login.busy') : t('shell:login.submit')}
        </button>
      </form>
      <p>
        <a href="/recover">{t('shell:login.forgot')}</a>
      </p>
    </Screen>
  );
}
