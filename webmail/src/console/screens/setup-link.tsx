import '../console.css';
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { Screen } from '../../ui/screen';
import { CopyField } from '../../ui/copy-button';
import { mailboxPath } from '../components/layout';
import { formatDateTime } from '../lib/format';
import { takeSetupLink } from '../lib/handoff';

/**
 * The one-time link by which a new mailbox's owner chooses her password, shown to the admin once
 * to hand over. Whoever holds it may choose the password, so it says how to pass it on. Gone on
 * reload; the mailbox's page makes a new one (and kills this one) if it is lost.
 */
export default function SetupLinkScreen(props: { params: { address: string } }) {
  const { t, language } = useI18n();
  const { route } = useLocation();
  const address = props.params.address;
  const [link] = useState(() => takeSetupLink(address));
  return (
    <Screen title={t('console:setupLink.title', { address })} class="screen screen-medium">
      {link ? (
        <>
          <p>{t('console:setupLink.what', { address })}</p>
          <p class="warning-text">
            <span aria-hidden="true">⚠ </span>
            {t('console:setupLink.once', { date: formatDateTime(link.expiresAt, language) })}
          </p>
          <CopyField
            label={t('console:setupLink.label')}
            value={link.url}
            copyLabel={t('console:setupLink.copy')}
          />
          <p>{t('console:setupLink.how')}</p>
          <p>{t('console:setupLink.meanwhile')}</p>
        </>
      ) : (
        <Alert kind="info">{t('console:setupLink.gone')}</Alert>
      )}
      <button type="button" class="button button-primary" onClick={() => route(mailboxPath(address))}>
        {link ? t('console:setupLink.done') : t('console:recovery.toMailbox')}
      </button>
    </Screen>
  );
}
