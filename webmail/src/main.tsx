import './styles/base.css';
import { render } from 'preact';
import { App } from './shell/app';
import type { Area } from './shell/areas';
import { registerCatalog, startI18n } from './shell/i18n';

registerCatalog('shell', {
  fr: () => import('./shell/i18n/fr.json'),
  en: () => import('./shell/i18n/en.json'),
});

// Every area (console/, mail/, …) declares itself in its own area.ts: no shared list to edit.
const areas = Object.values(import.meta.glob<Area>('./*/area.ts', { eager: true, import: 'default' }));
for (const area of areas) registerCatalog(area.id, area.catalogs);

await startI18n();
render(<App areas={areas} />, document.getElementById('app') as HTMLElement);
