import '../console.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api, ApiError } from '../../shell/api';
import type { PublicScreenProps } from '../../shell/areas';
import { t, useI18n } from '../../shell/i18n';
import { logIn } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { StrengthMeter } from '../../ui/strength-meter';
import { CopyButton } from '../components/copy-button';
import { consoleError } from '../lib/errors';
import { formatDateTime } from '../lib/format';

/** The secret travels after `#` in the link: browsers never send it to a server or a log. */
const tokenInLink = () => decodeURIComponent(location.hash.replace(/^#/, '')).trim();

/** A link that is unknown (replaced, mistyped) is "not found", which the shell words for pages. */
const linkError = (e: unknown) =>
  e instanceof ApiError && e.code === 'not_found' ? t('console:setup.linkUnknown') : consoleError(e);

interface LinkInfo {
  address: string;
  displayName: string | null;
  encryptionMode: 'generated' | 'public-key' | 'none';
  expiresAt: string;
}

type Step =
  | { kind: 'checking' }
  | { kind: 'refused'; message: string }
  | { kind: 'choose'; info: LinkInfo }
  | { kind: 'code'; info: LinkInfo; code: string; password: string };

/**
 * The owner of a new mailbox opens the one-time link her collective's admin gave her: she chooses
 * the mailbox's password, then gets its recovery code on a screen of its own, once, and is logged
 * in to the webmail.
 */
export default function MailboxSetupScreen(props: PublicScreenProps) {
  const { t } = useI18n();
  const [token] = useState(tokenInLink);
  const [step, setStep] = useState<Step>({ kind: 'checking' });

  useEffect(() => {
    if (!token) {
      setStep({ kind: 'refused', message: t('console:setup.noLink') });
      return;
    }
    api<LinkInfo>('POST', '/mailbox-setup/inspect', { body: { token }, expectUnauthenticated: true }).then(
      (info) => setStep({ kind: 'choose', info }),
      (e) => setStep({ kind: 'refused', message: linkError(e) }),
    );
  }, [token]);

  const enter = async (info: LinkInfo, password: string) => {
    props.onLoggedIn(await logIn({ login: info.address, password }));
  };

  if (step.kind === 'code') {
    return <RecoveryStep info={step.info} code={step.code} onDone={() => enter(step.info, step.password)} />;
  }
  return (
    <Screen title={t('console:setup.title')} class="screen screen-narrow">
      {step.kind === 'checking' && (
        <p aria-busy="true" class="loading">
          {t('console:setup.checking')}
        </p>
      )}
      {step.kind === 'refused' && (
        <>
          <Alert kind="error">{step.message}</Alert>
          <p>
            <a href="/login">{t('console:setup.toLogin')}</a>
          </p>
        </>
      )}
      {step.kind === 'choose' && (
        <ChooseForm
          token={token}
          info={step.info}
          onChosen={async (password, code) => {
            if (code) setStep({ kind: 'code', info: step.info, code, password });
            else await enter(step.info, password);
          }}
        />
      )}
    </Screen>
  );
}

function ChooseForm(props: {
  token: string;
  info: LinkInfo;
  onChosen: (password: string, code: string | null) => Promise<void>;
}) {
  const { t, language } = useI18n();
  const { info } = props;
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<{ password?: string; confirm?: string }>({});
  const inputs = { password: useRef<HTMLInputElement>(null), confirm: useRef<HTMLInputElement>(null) };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems = {
      password: password ? undefined : t('shell:password.newMissing'),
      confirm: password && confirm !== password ? t('shell:password.mismatch') : undefined,
    };
    setFields(problems);
    setError('');
    const first = (['password', 'confirm'] as const).find((k) => problems[k]);
    if (first) {
      inputs[first].current?.focus();
      return;
    }
    setBusy(true);
    try {
      const done = await api<{ recoveryCode: string | null }>('POST', '/mailbox-setup', {
        body: { token: props.token, password },
        expectUnauthenticated: true,
      });
      announce(t('console:setup.chosen'));
      await props.onChosen(password, done.recoveryCode);
    } catch (e) {
      setBusy(false);
      if (e instanceof ApiError && e.code.startsWith('password_')) {
        setFields({ password: consoleError(e) });
        inputs.password.current?.focus();
      } else {
        setError(linkError(e));
      }
    }
  };

  return (
    <>
      <p>{t('console:setup.intro', { address: info.address })}</p>
      <p class="field-hint">
        {t('console:setup.expires', { date: formatDateTime(info.expiresAt, language) })}
      </p>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form" onSubmit={submit} noValidate aria-busy={busy}>
        <input type="hidden" name="username" autoComplete="username" value={info.address} />
        <TextField
          id="setup-password"
          type="password"
          label={t('console:setup.password')}
          value={password}
          onValue={setPassword}
          autoComplete="new-password"
          error={fields.password}
          inputRef={inputs.password}
          describedBy="setup-password-strength"
        />
        <StrengthMeter
          id="setup-password-strength"
          password={password}
          inputs={[info.address, info.displayName ?? '']}
        />
        <TextField
          id="setup-confirm"
          type="password"
          label={t('console:setup.confirm')}
          value={confirm}
          onValue={setConfirm}
          autoComplete="new-password"
          error={fields.confirm}
          inputRef={inputs.confirm}
        />
        {info.encryptionMode === 'generated' && <p class="field-hint">{t('console:setup.keyNote')}</p>}
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t('console:setup.choosing') : t('console:setup.submit')}
        </button>
      </form>
    </>
  );
}

/** Her recovery code, once, on a screen of its own: it opens her mail if she forgets the password. */
function RecoveryStep(props: { info: LinkInfo; code: string; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  return (
    <Screen key="code" title={t('console:setup.codeTitle')} class="screen screen-medium">
      <p>{t('console:setup.codeWhat', { address: props.info.address })}</p>
      <p class="warning-text">
        <span aria-hidden="true">⚠ </span>
        {t('console:recovery.once')}
      </p>
      <p class="recovery-code">
        <code data-testid="recovery-code">{props.code}</code>
      </p>
      <div class="actions">
        <CopyButton text={props.code} label={t('console:recovery.copy')} />
        <button type="button" class="button" onClick={() => window.print()}>
          {t('console:recovery.print')}
        </button>
      </div>
      <p>{t('console:recovery.use')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      <button
        type="button"
        class="button button-primary"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError('');
          try {
            await props.onDone();
          } catch (e) {
            setBusy(false);
            setError(consoleError(e));
          }
        }}
      >
        {t('console:setup.codeDone')}
      </button>
    </Screen>
  );
}
