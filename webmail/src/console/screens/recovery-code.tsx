import '../console.css';
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { RecoveryCodeShown } from '../../ui/recovery-code';
import { Screen } from '../../ui/screen';
import { mailboxPath } from '../components/layout';
import { takeRecoveryCode } from '../lib/handoff';

/**
 * A mailbox's recovery code, on a screen of its own, once: it belongs to the person who will use
 * the mailbox, and opens their encrypted mail if they forget the password. Gone on reload.
 */
export default function RecoveryCodeScreen(props: { params: { address: string } }) {
  const { t } = useI18n();
  const { route } = useLocation();
  const address = props.params.address;
  const [code] = useState(() => takeRecoveryCode(address));
  const toMailbox = () => route(mailboxPath(address));
  return (
    <Screen title={t('console:recovery.title', { address })} class="screen screen-medium">
      {code ? (
        <RecoveryCodeShown
          code={code}
          explanation={t('console:recovery.belongs', { address })}
          keptLabel={t('console:recovery.kept')}
          doneLabel={t('console:recovery.done')}
          onDone={toMailbox}
        />
      ) : (
        <>
          <Alert kind="info">{t('console:recovery.gone')}</Alert>
          <button type="button" class="button button-primary" onClick={toMailbox}>
            {t('console:recovery.toMailbox')}
          </button>
        </>
      )}
    </Screen>
  );
}
