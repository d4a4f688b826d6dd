import '../console.css';
import { useEffect, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api, ApiError } from '../../shell/api';
import type { PublicScreenProps } from '../../shell/areas';
import { t, useI18n } from '../../shell/i18n';
import { logIn } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { PasswordForm } from '../../ui/password-form';
import { RecoveryCodeShown } from '../../ui/recovery-code';
import { Screen } from '../../ui/screen';
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
  return (
    <>
      <p>{t('console:setup.intro', { address: info.address })}</p>
      <p class="field-hint">
        {t('console:setup.expires', { date: formatDateTime(info.expiresAt, language) })}
      </p>
      <PasswordForm
        id="setup"
        login={info.address}
        labels={{ next: t('console:setup.password'), confirm: t('console:setup.confirm') }}
        intro={info.encryptionMode === 'generated' && <p class="field-hint">{t('console:setup.keyNote')}</p>}
        submitLabel={t('console:setup.submit')}
        busyLabel={t('console:setup.choosing')}
        describe={linkError}
        onSubmit={async ({ next }) => {
          const done = await api<{ recoveryCode: string | null }>('POST', '/mailbox-setup', {
            body: { token: props.token, password: next },
            expectUnauthenticated: true,
          });
          announce(t('console:setup.chosen'));
          await props.onChosen(next, done.recoveryCode);
        }}
      />
    </>
  );
}

/** Her recovery code, once, on a screen of its own: it opens her mail if she forgets the password. */
function RecoveryStep(props: { info: LinkInfo; code: string; onDone: () => Promise<void> }) {
  const { t } = useI18n();
  const [error, setError] = useState('');
  return (
    <Screen key="code" title={t('console:setup.codeTitle')} class="screen screen-medium">
      {error && <Alert kind="error">{error}</Alert>}
      <RecoveryCodeShown
        code={props.code}
        explanation={t('console:setup.codeWhat', { address: props.info.address })}
        keptLabel={t('console:setup.codeKept')}
        doneLabel={t('console:setup.codeDone')}
        onDone={() => {
          setError('');
          props.onDone().catch((e: unknown) => setError(consoleError(e)));
        }}
      />
    </Screen>
  );
}
