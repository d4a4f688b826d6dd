import type { AnyComponent } from 'preact';
import type { CatalogLoaders } from './i18n';
import type { Me } from './session';

/** A screen of an area; `path` is relative to the area's base (`/`, `/domains/:name`). */
export interface AreaRoute {
  path: string;
  // Screens are lazy (preact-iso's lazy()), so each area's code loads only for those who use it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  component: AnyComponent<any>;
  /**
   * Routes with the same key keep one instance of their screen when the URL moves between them
   * (a folder and a message in it: the list, scrolled and paged, stays). The path by default.
   */
  key?: string;
}

/**
 * A screen for people not logged in (joining with an invitation's code). Its path is absolute
 * (`/join`); once it has logged the person in, it hands the session over with `onLoggedIn`,
 * naming where to go next.
 */
export interface PublicRoute {
  path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  component: AnyComponent<any>;
}

export interface PublicScreenProps {
  onLoggedIn: (me: Me, next?: string) => void;
}

export interface NavLink {
  /** Relative to the area's base. */
  path: string;
  /** Catalog key, namespace first (console:nav.home). */
  label: string;
  visible?: (me: Me) => boolean;
}

/**
 * A part of the app for one kind of session (the console for console accounts, the webmail for
 * mailboxes). Each area lives in its own folder with an `area.ts` whose default export is its
 * definition; the shell finds them all (main.tsx), so adding a screen never edits a shared file.
 */
export interface Area {
  /** Also the area's i18next namespace (`console:…`). */
  id: string;
  /** URL prefix of every screen of the area (`/console`). */
  base: string;
  /** Catalog key of the area's name, shown in the header. */
  title: string;
  /** Whether this session uses the area; the first area that accepts it is its home. */
  audience: (me: Me) => boolean;
  /** Lower comes first when several areas accept a session. */
  order: number;
  /**
   * Where an account goes right after choosing its own password at first login (relative to
   * the area's base; the console's optional two-factor step). Default: the area's home.
   */
  firstLogin?: string;
  catalogs: CatalogLoaders;
  routes: AreaRoute[];
  publicRoutes?: PublicRoute[];
  nav: NavLink[];
}

export const defineArea = (area: Area): Area => area;

/** `/console` + `/` → `/console`; `/console` + `/domains` → `/console/domains`. */
export function areaPath(area: Area, path: string): string {
  return path === '/' ? area.base : `${area.base}${path}`;
}
