import '../console.css';
import { useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api, ApiError } from '../../shell/api';
import type { PublicScreenProps } from '../../shell/areas';
import { useI18n } from '../../shell/i18n';
import { logIn, type Me } from '../../shell/session';
import { TextField } from '../../ui/field';
import { PasswordForm } from '../../ui/password-form';
import { Screen } from '../../ui/screen';
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
  const [codeError, setCodeError] = useState<string | undefined>();
  const codeInput = useRef<HTMLInputElement>(null);
  const codeWrong = (message: string) => {
    setCodeError(message);
    codeInput.current?.focus();
  };

  return (
    <Screen title={t('console:join.title')} class="screen screen-narrow">
      <p>{t('console:join.intro')}</p>
      <PasswordForm
        id="join"
        labels={{
          next: t('console:join.password'),
          nextMissing: t('console:join.passwordMissing'),
          confirm: t('console:join.confirm'),
          mismatch: t('console:join.mismatch'),
        }}
        submitLabel={t('console:join.submit')}
        describe={consoleError}
        before={
          <TextField
            id="invitation-code"
            label={t('console:join.code')}
            hint={t('console:join.codeHint')}
            value={code}
            onValue={setCode}
            autoComplete="one-time-code"
            error={codeError}
            inputRef={codeInput}
          />
        }
        check={() => {
          if (code.trim()) {
            setCodeError(undefined);
            return true;
          }
          codeWrong(t('console:join.codeMissing'));
          return false;
        }}
        onSubmit={async ({ next: password }) => {
          const joined = await api<{
            account: { email: string };
            invitation: { collective?: { name: string } };
          }>('POST', '/invitations/accept', {
            body: { code: code.trim(), password },
            expectUnauthenticated: true,
          });
          announce(t('console:join.done', { name: joined.invitation.collective?.name ?? '' }));
          const me: Me = await logIn({ login: joined.account.email, password });
          props.onLoggedIn(me, '/console/welcome');
        }}
        onError={(e) => {
          if (!(e instanceof ApiError && e.status === 404)) return false;
          codeWrong(t('console:join.codeWrong'));
          return true;
        }}
      />
      <p>
        {t('console:join.haveAccount')} <a href="/login">{t('console:join.logIn')}</a>
      </p>
    </Screen>
  );
}
