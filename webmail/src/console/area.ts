import { lazy } from 'preact-iso';
import { defineArea } from '../shell/areas';

const racine = (me: { type: string; racine?: boolean }) => me.type === 'account' && me.racine === true;

/**
 * The console, for console accounts: collective admins and members link domains and manage
 * mailboxes, aliases, members and tokens; racines also run the platform (collectives, accounts,
 * every domain, relays, keys, health).
 */
export default defineArea({
  id: 'console',
  base: '/console',
  title: 'console:area',
  order: 10,
  audience: (me) => me.type === 'account',
  firstLogin: '/welcome',
  catalogs: {
    fr: () => import('./i18n/fr.json'),
    en: () => import('./i18n/en.json'),
  },
  routes: [
    { path: '/', component: lazy(() => import('./screens/home')) },
    { path: '/account', component: lazy(() => import('./screens/account')) },
    { path: '/welcome', component: lazy(() => import('./screens/welcome')) },
    { path: '/c/:slug', component: lazy(() => import('./screens/collective')) },
    { path: '/c/:slug/members', component: lazy(() => import('./screens/members')) },
    { path: '/c/:slug/tokens', component: lazy(() => import('./screens/tokens')) },
    { path: '/c/:slug/audit', component: lazy(() => import('./screens/audit')) },
    { path: '/domains/:name', component: lazy(() => import('./screens/domain')) },
    { path: '/domains/:name/mailboxes', component: lazy(() => import('./screens/mailboxes')) },
    { path: '/domains/:name/mailboxes/new', component: lazy(() => import('./screens/mailbox-new')) },
    { path: '/domains/:name/aliases', component: lazy(() => import('./screens/aliases')) },
    { path: '/mailboxes/:address', component: lazy(() => import('./screens/mailbox')) },
    { path: '/mailboxes/:address/recovery', component: lazy(() => import('./screens/recovery-code')) },
    { path: '/mailboxes/:address/setup-link', component: lazy(() => import('./screens/setup-link')) },
    { path: '/racine/collectives', component: lazy(() => import('./screens/racine/collectives')) },
    { path: '/racine/accounts', component: lazy(() => import('./screens/racine/accounts')) },
    { path: '/racine/domains', component: lazy(() => import('./screens/racine/domains')) },
    { path: '/racine/relays', component: lazy(() => import('./screens/racine/relays')) },
    { path: '/racine/relays/:relay', component: lazy(() => import('./screens/racine/relay')) },
    { path: '/racine/audit', component: lazy(() => import('./screens/audit')) },
    { path: '/racine/platform', component: lazy(() => import('./screens/racine/platform')) },
  ],
  publicRoutes: [
    { path: '/join', component: lazy(() => import('./screens/join')) },
    { path: '/mailbox-setup', component: lazy(() => import('./screens/mailbox-setup')) },
  ],
  nav: [
    { path: '/', label: 'console:nav.home' },
    { path: '/racine/collectives', label: 'console:nav.collectives', visible: racine },
    { path: '/racine/accounts', label: 'console:nav.accounts', visible: racine },
    { path: '/racine/domains', label: 'console:nav.domains', visible: racine },
    { path: '/racine/relays', label: 'console:nav.relays', visible: racine },
    { path: '/racine/audit', label: 'console:nav.audit', visible: racine },
    { path: '/racine/platform', label: 'console:nav.platform', visible: racine },
    { path: '/account', label: 'console:nav.account' },
  ],
});
