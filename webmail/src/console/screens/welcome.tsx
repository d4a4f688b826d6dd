import '../console.css';
import { useState } from 'preact/hooks';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { Screen } from '../../ui/screen';
import { TotpSetup } from '../components/totp-setup';
import { isAccount } from '../lib/access';

/**
 * Right after the first password change: an optional second step, two-factor authentication,
 * which the person may leave for later (the home screen reminds them while it is off).
 */
export default function WelcomeScreen() {
  const { t } = useI18n();
  const session = useSession();
  const [enabled, setEnabled] = useState(false);
  if (!isAccount(session.me)) return null;
  return (
    <Screen title={t('console:welcome.title')} class="screen screen-medium">
      <Alert kind="success">{t('console:welcome.saved')}</Alert>
      {enabled || session.me.totpEnabled ? (
        <>
          <p>{t('console:welcome.done')}</p>
          <p>
            <a class="button button-primary" href="/console">
              {t('console:welcome.continue')}
            </a>
          </p>
        </>
      ) : (
        <>
          <h2>{t('console:welcome.totpTitle')}</h2>
          <p>{t('console:welcome.optional')}</p>
          <TotpSetup
            headingLevel={3}
            onEnabled={() => {
              setEnabled(true);
              void session.refresh();
            }}
          />
          <p class="skip-step">
            <a href="/console">{t('console:welcome.later')}</a>
          </p>
        </>
      )}
    </Screen>
  );
}
