import '../console.css';
import { useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { api } from '../../shell/api';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { Screen } from '../../ui/screen';
import { PasswordForm } from '../../ui/password-form';
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
        <AccountPassword email={me.email} onChanged={() => setNotice(t('console:account.passwordChanged'))} />
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

function AccountPassword(props: { email: string; onChanged: () => void }) {
  const { t } = useI18n();
  return (
    <PasswordForm
      id="account"
      login={props.email}
      askCurrent
      intro={<p class="field-hint">{t('console:account.otherSessions')}</p>}
      submitLabel={t('console:account.save')}
      onSubmit={async ({ current, next }) => {
        await api('POST', '/me/password', { body: { currentPassword: current, newPassword: next } });
        announce(t('console:account.passwordChanged'));
        props.onChanged();
      }}
    />
  );
}
