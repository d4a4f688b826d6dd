import { lazy } from 'preact-iso';
import { defineArea } from '../shell/areas';

const Mailbox = lazy(() => import('./screens/mailbox'));

/** The webmail, for mailbox owners. */
export default defineArea({
  id: 'mail',
  base: '/mail',
  title: 'mail:area',
  order: 20,
  audience: (me) => me.type === 'mailbox',
  catalogs: {
    fr: () => import('./i18n/fr.json'),
    en: () => import('./i18n/en.json'),
  },
  routes: [
    // One mailbox screen for a folder and its messages: opening one keeps the list as it was.
    { path: '/', component: Mailbox, key: 'mailbox' },
    { path: '/f/:folder/:uid?', component: Mailbox, key: 'mailbox' },
    { path: '/compose', component: lazy(() => import('./screens/compose')) },
    { path: '/settings', component: lazy(() => import('./screens/settings')) },
  ],
  publicRoutes: [{ path: '/recover', component: lazy(() => import('./screens/recover')) }],
  nav: [
    { path: '/', label: 'mail:nav.inbox' },
    { path: '/compose', label: 'mail:nav.write' },
    { path: '/settings', label: 'mail:nav.settings' },
  ],
});
