import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { areaPath, type Area } from '../shell/areas';
import { useI18n } from '../shell/i18n';
import { displayName, useSession } from '../shell/session';
import { LanguageSwitch } from './language-switch';

function SkipLink() {
  const { t } = useI18n();
  return (
    <a class="skip-link" href="#main">
      {t('shell:frame.skip')}
    </a>
  );
}

function Brand(props: { home: string; area?: string }) {
  const { t } = useI18n();
  return (
    <p class="brand">
      <a href={props.home}>{t('shell:app.name')}</a>
      {props.area && <span class="brand-area">{props.area}</span>}
    </p>
  );
}

/**
 * The frame of every logged-in screen: skip link, header (banner) with the area's navigation,
 * the language switch, who is logged in and the logout button, then the screen in <main>.
 */
export function Frame(props: { area?: Area; children: ComponentChildren }) {
  const { t } = useI18n();
  const { me, logout } = useSession();
  const { path } = useLocation();
  const links = props.area?.nav.filter((link) => !link.visible || link.visible(me)) ?? [];
  const home = props.area?.base ?? '/';
  return (
    <div class="app">
      <SkipLink />
      <header class="app-header">
        <Brand home={home} area={props.area && t(props.area.title)} />
        {props.area && links.length > 0 && (
          <nav class="app-nav" aria-label={t('shell:frame.nav')}>
            <ul>
              {links.map((link) => {
                const href = areaPath(props.area as Area, link.path);
                return (
                  <li key={link.path}>
                    <a href={href} aria-current={path === href ? 'page' : undefined}>
                      {t(link.label)}
                    </a>
                  </li>
                );
              })}
            </ul>
          </nav>
        )}
        <div class="session-tools">
          <LanguageSwitch />
          <p class="identity">
            <span class="visually-hidden">{t('shell:frame.loggedInAs')} </span>
            {displayName(me)}
          </p>
          <button type="button" class="button button-quiet" onClick={() => void logout()}>
            {t('shell:frame.logout')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}

/** The frame of the screens before login: brand, language switch, the screen. */
export function PublicFrame(props: { children: ComponentChildren }) {
  return (
    <div class="app app-public">
      <SkipLink />
      <header class="app-header">
        <Brand home="/" />
        <div class="session-tools">
          <LanguageSwitch />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
