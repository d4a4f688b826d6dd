import { useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api, ApiError } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { consoleError } from '../lib/errors';
import { CopyButton } from '../../ui/copy-button';
import { QrCode } from './qr-code';

/** The secret in groups of four, easier to type into an app by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

/**
 * Two-factor enrolment: ask the server for a new secret, show it as a QR code drawn in the page
 * (and as text for apps that cannot scan), then confirm with a code the app shows. Nothing is
 * switched on until that code is accepted.
 */
export function TotpSetup(props: { onEnabled: () => void; headingLevel?: 2 | 3 }) {
  const { t } = useI18n();
  const [enrolment, setEnrolment] = useState<{ secret: string; uri: string } | undefined>();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [codeError, setCodeError] = useState('');
  const codeInput = useRef<HTMLInputElement>(null);
  const Heading = props.headingLevel === 3 ? 'h3' : 'h2';

  const start = async () => {
    setBusy(true);
    setError('');
    try {
      setEnrolment(await api<{ secret: string; uri: string }>('POST', '/me/totp'));
      announce(t('console:totp.scanNow'));
    } catch (e) {
      setError(consoleError(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!/^\d{6}$/.test(code.trim())) {
      setCodeError(t('console:totp.codeInvalid'));
      codeInput.current?.focus();
      return;
    }
    setBusy(true);
    setCodeError('');
    setError('');
    try {
      await api('POST', '/me/totp/confirm', { body: { code: code.trim() } });
      announce(t('console:totp.enabled'));
      props.onEnabled();
    } catch (e) {
      setBusy(false);
      if (e instanceof ApiError && e.code === 'invalid_totp') {
        setCodeError(t('console:totp.codeWrong'));
        codeInput.current?.focus();
      } else {
        setError(consoleError(e));
      }
    }
  };

  if (!enrolment) {
    return (
      <div>
        {error && <Alert kind="error">{error}</Alert>}
        <p>{t('console:totp.why')}</p>
        <button type="button" class="button button-primary" onClick={start} disabled={busy}>
          {t('console:totp.start')}
        </button>
      </div>
    );
  }
  return (
    <div class="totp-setup">
      {error && <Alert kind="error">{error}</Alert>}
      <Heading>{t('console:totp.step1')}</Heading>
      <p>{t('console:totp.scan')}</p>
      <QrCode text={enrolment.uri} label={t('console:totp.qrLabel')} />
      <p>{t('console:totp.manual')}</p>
      <p class="copy-field">
        <code class="copy-field-value" data-testid="totp-secret">
          {grouped(enrolment.secret)}
        </code>
        <CopyButton text={enrolment.secret} label={t('console:totp.copySecret')} />
      </p>
      <Heading>{t('console:totp.step2')}</Heading>
      <form class="form form-inline" onSubmit={confirm} noValidate aria-busy={busy}>
        <TextField
          id="totp-code"
          label={t('console:totp.code')}
          hint={t('console:totp.codeHint')}
          value={code}
          onValue={setCode}
          autoComplete="one-time-code"
          inputMode="numeric"
          maxLength={6}
          error={codeError}
          inputRef={codeInput}
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('console:totp.confirm')}
        </button>
      </form>
    </div>
  );
}

/** Turning two-factor authentication off asks for a current code, as the API does. */
export function TotpDisable(props: { onDisabled: () => void }) {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (!/^\d{6}$/.test(code.trim())) {
      setError(t('console:totp.codeInvalid'));
      input.current?.focus();
      return;
    }
    setBusy(true);
    try {
      await api('DELETE', '/me/totp', { body: { code: code.trim() } });
      announce(t('console:totp.disabled'));
      props.onDisabled();
    } catch (e) {
      setBusy(false);
      setError(
        e instanceof ApiError && e.code === 'invalid_totp' ? t('console:totp.codeWrong') : consoleError(e),
      );
      input.current?.focus();
    }
  };
  return (
    <form class="form form-inline" onSubmit={submit} noValidate aria-busy={busy}>
      <TextField
        id="totp-disable-code"
        label={t('console:totp.disableCode')}
        value={code}
        onValue={setCode}
        autoComplete="one-time-code"
        inputMode="numeric"
        maxLength={6}
        error={error}
        inputRef={input}
      />
      <button type="submit" class="button" disabled={busy}>
        {t('console:totp.disable')}
      </button>
    </form>
  );
}
