import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Screen } from '../../ui/screen';
import { canManage, isRacine } from '../lib/access';

export interface Crumb {
  href?: string;
  label: string;
}

/** Where this screen sits: collective › domain › mailbox. The last crumb is the current page. */
export function Breadcrumbs(props: { items: Crumb[] }) {
  const { t } = useI18n();
  return (
    <nav class="breadcrumbs" aria-label={t('console:common.breadcrumbs')}>
      <ol>
        {props.items.map((c, i) => (
          <li key={i}>
            {c.href && i < props.items.length - 1 ? (
              <a href={c.href}>{c.label}</a>
            ) : (
              <span aria-current={i === props.items.length - 1 ? 'page' : undefined}>{c.label}</span>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

/** A row of links between the screens of one thing (a collective, a domain). */
export function Tabs(props: { label: string; links: Array<{ href: string; label: string }> }) {
  const { path } = useLocation();
  return (
    <nav class="tabs" aria-label={props.label}>
      <ul>
        {props.links.map((l) => (
          <li key={l.href}>
            <a href={l.href} aria-current={path === l.href ? 'page' : undefined}>
              {l.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export const collectivePath = (slug: string, rest = '') => `/console/c/${encodeURIComponent(slug)}${rest}`;
export const domainPath = (name: string, rest = '') => `/console/domains/${encodeURIComponent(name)}${rest}`;
export const mailboxPath = (address: string, rest = '') =>
  `/console/mailboxes/${encodeURIComponent(address)}${rest}`;

/** The sections of a collective; members, tokens and the log only for its admins. */
export function CollectiveTabs(props: { slug: string }) {
  const { t } = useI18n();
  const { me } = useSession();
  const admin = canManage(me, props.slug);
  const links = [{ href: collectivePath(props.slug), label: t('console:collective.tabs.domains') }];
  if (admin) {
    links.push(
      { href: collectivePath(props.slug, '/members'), label: t('console:collective.tabs.members') },
      { href: collectivePath(props.slug, '/tokens'), label: t('console:collective.tabs.tokens') },
      { href: collectivePath(props.slug, '/audit'), label: t('console:collective.tabs.audit') },
    );
  }
  return <Tabs label={t('console:collective.tabs.label')} links={links} />;
}

/** The sections of a domain: its DNS, its mailboxes, its aliases. */
export function DomainTabs(props: { name: string }) {
  const { t } = useI18n();
  return (
    <Tabs
      label={t('console:domain.tabs.label')}
      links={[
        { href: domainPath(props.name), label: t('console:domain.tabs.dns') },
        { href: domainPath(props.name, '/mailboxes'), label: t('console:domain.tabs.mailboxes') },
        { href: domainPath(props.name, '/aliases'), label: t('console:domain.tabs.aliases') },
      ]}
    />
  );
}

/**
 * Shows the children only to those the screen is for; others get the same "not found" as an
 * unknown address, as the API answers them.
 */
export function Only(props: { racine?: boolean; adminOf?: string; children: ComponentChildren }) {
  const { me } = useSession();
  const { t } = useI18n();
  const allowed = props.racine
    ? isRacine(me)
    : props.adminOf !== undefined
      ? canManage(me, props.adminOf)
      : true;
  if (allowed) return <>{props.children}</>;
  return (
    <Screen title={t('shell:notFound.title')}>
      <p>{t('shell:notFound.text')}</p>
      <p>
        <a href="/console">{t('shell:notFound.home')}</a>
      </p>
    </Screen>
  );
}
