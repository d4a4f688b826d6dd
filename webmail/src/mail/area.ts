import { lazy } from 'preact-iso';
import { defineArea } from '../shell/areas';

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
    { path: '/', component: lazy(() => import('./screens/mailbox')) },
    { path: '/f/:folder', component: lazy(() => import('./screens/mailbox')) },
    { path: '/f/:folder/:uid', component: lazy(() => import('./screens/mailbox')) },
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
