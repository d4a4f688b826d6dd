import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Screen } from '../../ui/screen';

/** The webmail's landing screen. */
export default function MailHome() {
  const { t } = useI18n();
  const { me } = useSession();
  if (me.type !== 'mailbox') return null;
  return (
    <Screen title={t('mail:home.title')}>
      <p>{t('mail:home.mailbox', { address: me.address })}</p>
    </Screen>
  );
}
