import i18next, { type TFunction } from 'i18next';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export type Language = 'fr' | 'en';
export const LANGUAGES: readonly Language[] = ['fr', 'en'];
/** French unless the person chose English; the choice is remembered in this browser. */
export const DEFAULT_LANGUAGE: Language = 'fr';
const STORAGE_KEY = 'giroflee.language';

type Catalog = Record<string, unknown>;
export type CatalogLoaders = Record<Language, () => Promise<{ default: Catalog }>>;

/**
 * One i18next namespace per area (`shell`, `console`, `mail`), each with a catalog file per
 * language in its own folder, loaded only for the language in use.
 */
const namespaces = new Map<string, CatalogLoaders>();

export function registerCatalog(namespace: string, loaders: CatalogLoaders): void {
  namespaces.set(namespace, loaders);
}

function storedLanguage(): Language {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    if (value === 'fr' || value === 'en') return value;
  } catch {
    // Storage refused (private mode, policy): the default language.
  }
  return DEFAULT_LANGUAGE;
}

async function loadCatalogs(language: Language): Promise<void> {
  await Promise.all(
    [...namespaces].map(async ([namespace, loaders]) => {
      if (i18next.hasResourceBundle(language, namespace)) return;
      const catalog = await loaders[language]();
      i18next.addResourceBundle(language, namespace, catalog.default);
    }),
  );
}

export async function startI18n(): Promise<void> {
  const language = storedLanguage();
  await i18next.init({
    lng: language,
    // Both catalogs hold every key (tests/web/catalogs.test.ts): no fallback that would mix languages.
    fallbackLng: false,
    supportedLngs: [...LANGUAGES],
    ns: [...namespaces.keys()],
    defaultNS: 'shell',
    resources: {},
    // Preact escapes text itself.
    interpolation: { escapeValue: false },
  });
  await loadCatalogs(language);
  document.documentElement.lang = language;
}

export async function setLanguage(language: Language): Promise<void> {
  await loadCatalogs(language);
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Not remembered, but switched for this page.
  }
}

export function currentLanguage(): Language {
  return i18next.language === 'en' ? 'en' : 'fr';
}

/** Usable outside components (announcements, errors); components use useI18n() to re-render. */
export const t: TFunction = ((...args: Parameters<TFunction>) => i18next.t(...args)) as TFunction;

/** The language in effect; provided at the root so every screen re-renders when it changes. */
export const LanguageContext = createContext<Language>(DEFAULT_LANGUAGE);

export function useI18n(): { t: TFunction; language: Language } {
  const language = useContext(LanguageContext);
  return { t, language };
}

export function onLanguageChanged(listener: (language: Language) => void): () => void {
  const handler = (lng: string) => listener(lng === 'en' ? 'en' : 'fr');
  i18next.on('languageChanged', handler);
  return () => i18next.off('languageChanged', handler);
}
