import '../console.css';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Screen } from '../../ui/screen';
import { collectivePath } from '../components/layout';
import { MyInvitations } from '../components/my-invitations';
import { isAccount } from '../lib/access';

/**
 * The console's landing: the person's collectives with a way into each, a nudge towards
 * two-factor authentication while it is off, and the platform's screens for a racine.
 */
export default function ConsoleHome() {
  const { t } = useI18n();
  const { me } = useSession();
  if (!isAccount(me)) return null;
  return (
    <Screen title={t('console:home.title')}>
      <p>{t('console:home.welcome', { email: me.email })}</p>
      <MyInvitations />
      {!me.totpEnabled && (
        <div class="alert alert-info">
          <p>{t('console:home.totpNudge')}</p>
          <a href="/console/account#totp">{t('console:home.totpNudgeLink')}</a>
        </div>
      )}
      <h2>{t('console:home.collectives')}</h2>
      {me.memberships.length === 0 ? (
        <p>{t('console:home.noCollective')}</p>
      ) : (
        <ul class="cards">
          {me.memberships.map((m) => (
            <li key={m.slug} class="card">
              <h3>
                <a href={collectivePath(m.slug)}>{m.name}</a>
              </h3>
              <p>{t('console:home.membership', { name: m.name, role: t(`console:roles.${m.role}`) })}</p>
              <ul class="links">
                <li>
                  <a href={collectivePath(m.slug)}>{t('console:home.domains')}</a>
                </li>
                {m.role === 'admin' && (
                  <>
                    <li>
                      <a href={collectivePath(m.slug, '/members')}>{t('console:collective.tabs.members')}</a>
                    </li>
                    <li>
                      <a href={collectivePath(m.slug, '/tokens')}>{t('console:collective.tabs.tokens')}</a>
                    </li>
                    <li>
                      <a href={collectivePath(m.slug, '/audit')}>{t('console:collective.tabs.audit')}</a>
                    </li>
                  </>
                )}
              </ul>
            </li>
          ))}
        </ul>
      )}
      {me.racine && (
        <>
          <h2>{t('console:home.platform')}</h2>
          <p>{t('console:home.racine')}</p>
          <ul class="links">
            <li>
              <a href="/console/racine/collectives">{t('console:nav.collectives')}</a>
            </li>
            <li>
              <a href="/console/racine/domains">{t('console:nav.domains')}</a>
            </li>
            <li>
              <a href="/console/racine/relays">{t('console:nav.relays')}</a>
            </li>
            <li>
              <a href="/console/racine/audit">{t('console:nav.audit')}</a>
            </li>
            <li>
              <a href="/console/racine/platform">{t('console:nav.platform')}</a>
            </li>
          </ul>
        </>
      )}
    </Screen>
  );
}
