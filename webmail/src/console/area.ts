import { lazy } from 'preact-iso';
import { defineArea } from '../shell/areas';

/** The console, for console accounts (racines, collective admins and members). */
export default defineArea({
  id: 'console',
  base: '/console',
  title: 'console:area',
  order: 10,
  audience: (me) => me.type === 'account',
  catalogs: {
    fr: () => import('./i18n/fr.json'),
    en: () => import('./i18n/en.json'),
  },
  routes: [{ path: '/', component: lazy(() => import('./screens/home')) }],
  nav: [{ path: '/', label: 'console:nav.home' }],
});
