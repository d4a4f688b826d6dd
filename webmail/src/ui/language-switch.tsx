import { announce } from '../shell/announce';
import { LANGUAGES, setLanguage, t, useI18n, type Language } from '../shell/i18n';

const NAMES: Record<Language, string> = { fr: 'Français', en: 'English' };

/**
 * Switches to the other language. The button's text is the target language's own name in that
 * language (marked with `lang`), so it reads right in both.
 */
export function LanguageSwitch() {
  const { language } = useI18n();
  const other = LANGUAGES.find((l) => l !== language) ?? 'fr';
  const change = async () => {
    await setLanguage(other);
    announce(t('shell:language.changed'));
  };
  return (
    <button type="button" class="button button-quiet" lang={other} onClick={change}>
      {NAMES[other]}
    </button>
  );
}
