import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Screen } from '../../ui/screen';

/** The console's landing screen: who is logged in and in which collectives. */
export default function ConsoleHome() {
  const { t } = useI18n();
  const { me } = useSession();
  if (me.type !== 'account') return null;
  return (
    <Screen title={t('console:home.title')}>
      <p>{t('console:home.welcome', { email: me.email })}</p>
      {me.racine && <p>{t('console:home.racine')}</p>}
      <h2>{t('console:home.collectives')}</h2>
      {me.memberships.length === 0 ? (
        <p>{t('console:home.noCollective')}</p>
      ) : (
        <ul>
          {me.memberships.map((m) => (
            <li key={m.slug}>
              {t('console:home.membership', { name: m.name, role: t(`console:roles.${m.role}`) })}
            </li>
          ))}
        </ul>
      )}
    </Screen>
  );
}
