import '../console.css';
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { Screen } from '../../ui/screen';
import { CopyButton } from '../components/copy-button';
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
  return (
    <Screen title={t('console:recovery.title', { address })} class="screen screen-medium">
      {code ? (
        <>
          <p>{t('console:recovery.belongs', { address })}</p>
          <p class="warning-text">
            <span aria-hidden="true">⚠ </span>
            {t('console:recovery.once')}
          </p>
          <p class="recovery-code">
            <code data-testid="recovery-code">{code}</code>
          </p>
          <div class="actions">
            <CopyButton text={code} label={t('console:recovery.copy')} />
            <button type="button" class="button" onClick={() => window.print()}>
              {t('console:recovery.print')}
            </button>
          </div>
          <p>{t('console:recovery.use')}</p>
        </>
      ) : (
        <Alert kind="info">{t('console:recovery.gone')}</Alert>
      )}
      <button type="button" class="button button-primary" onClick={() => route(mailboxPath(address))}>
        {code ? t('console:recovery.done') : t('console:recovery.toMailbox')}
      </button>
    </Screen>
  );
}
