import { useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api, ApiError } from '../../shell/api';
import type { PublicScreenProps } from '../../shell/areas';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { logIn, type Me } from '../../shell/session';
import { TextField } from '../../ui/field';
import { PasswordForm } from '../../ui/password-form';
import { RecoveryCodeShown } from '../../ui/recovery-code';
import { Screen } from '../../ui/screen';

/**
 * A mailbox owner who forgot the password, from the login page: the recovery code and a new
 * password re-wrap the mailbox's keys on the server (POST /mailboxes/:address/keys/recover), which
 * closes every session and gives a new code, shown here once; then the owner is logged in.
 */
export default function RecoverScreen(props: PublicScreenProps) {
  const { t } = useI18n();
  const [address, setAddress] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<{ address?: string; code?: string }>({});
  const [done, setDone] = useState<{ code: string; me: Me } | null>(null);
  const inputs = { address: useRef<HTMLInputElement>(null), code: useRef<HTMLInputElement>(null) };

  if (done) {
    return (
      <Screen title={t('shell:recovery.title')} class="screen screen-medium">
        <RecoveryCodeShown
          code={done.code}
          explanation={t('shell:recovery.yours', { address: address.trim() })}
          keptLabel={t('shell:recovery.kept')}
          doneLabel={t('mail:recover.toMail')}
          onDone={() => props.onLoggedIn(done.me, '/mail')}
        />
      </Screen>
    );
  }
  const codeWrong = (message: string) => {
    setErrors({ code: message });
    inputs.code.current?.focus();
  };
  return (
    <Screen title={t('mail:recover.title')} class="screen screen-narrow">
      <p>{t('mail:recover.intro')}</p>
      <PasswordForm
        id="recover"
        login={address.trim()}
        submitLabel={t('mail:recover.submit')}
        busyLabel={t('mail:recover.busy')}
        before={
          <>
            <TextField
              id="recover-address"
              label={t('mail:recover.address')}
              value={address}
              onValue={setAddress}
              type="email"
              autoComplete="username"
              inputMode="email"
              maxLength={320}
              error={errors.address}
              inputRef={inputs.address}
            />
            <TextField
              id="recover-code"
              label={t('mail:recover.code')}
              hint={t('mail:recover.codeHint')}
              value={code}
              onValue={setCode}
              autoComplete="off"
              maxLength={200}
              error={errors.code}
              inputRef={inputs.code}
            />
          </>
        }
        check={() => {
          const problems = {
            address: /^[^@\s]+@[^@\s]+$/.test(address.trim()) ? undefined : t('mail:recover.addressMissing'),
            code: code.trim() ? undefined : t('mail:recover.codeMissing'),
          };
          setErrors(problems);
          const first = (['address', 'code'] as const).find((k) => problems[k]);
          if (first) inputs[first].current?.focus();
          return !first;
        }}
        onSubmit={async ({ next }) => {
          const login = address.trim();
          const recovered = await api<{ recoveryCode: string }>(
            'POST',
            `/mailboxes/${encodeURIComponent(login)}/keys/recover`,
            { body: { recoveryCode: code.trim(), newPassword: next }, expectUnauthenticated: true },
          );
          setCode('');
          announce(t('mail:recover.done'));
          const me = await logIn({ login, password: next, kind: 'mailbox' });
          setDone({ code: recovered.recoveryCode, me });
        }}
        onError={(e) => {
          if (!(e instanceof ApiError)) return false;
          if (e.status === 403 || e.code === 'recovery_code_malformed') {
            codeWrong(e.serverMessage || describeError(e));
            return true;
          }
          return false;
        }}
      />
      <p>
        <a href="/login">{t('mail:recover.backToLogin')}</a>
      </p>
    </Screen>
  );
}
