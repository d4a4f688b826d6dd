import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../../shell/i18n';

/**
 * Single-key shortcuts, on by default (as in the mail clients people come from), off by choice in
 * the `?` sheet. A key acts on the element of the page that carries it (`data-shortcut`), so a
 * shortcut does nothing a click there would not; j and k move through the message list, / goes
 * to the search field. `!` is junk / not junk: the selection's button when messages are ticked
 * (the list comes first in the page), else the open message's; Delete likewise.
 */
const STORAGE = 'giroflee.mail.shortcuts';
/**
 * Each key, the catalog entry (under mail:shortcuts.keys) that says what it does, and the key's
 * name as a keyboard of the page's language prints it, when that is a word.
 */
const KEYS: Array<[string, string, string?]> = [
  ['c', 'c'],
  ['r', 'r'],
  ['a', 'a'],
  ['f', 'f'],
  ['!', 'junk'],
  ['Delete', 'delete', 'mail:shortcuts.del'],
  ['j', 'j'],
  ['k', 'k'],
  ['u', 'u'],
  ['/', 'search'],
  ['?', 'help'],
];

function enabled(): boolean {
  try {
    return localStorage.getItem(STORAGE) !== 'off';
  } catch {
    return true;
  }
}

/** Keys typed into a field are text; a ticked box or a button keeps the shortcuts. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return Boolean(
    el?.closest(
      'input:not([type="checkbox"]):not([type="radio"]):not([type="button"]):not([type="submit"]), ' +
        'textarea, select, [contenteditable=""], [contenteditable="true"]',
    ),
  );
}

/** The next (or previous) message of the list or of the search results, as a link to click. */
function step(by: 1 | -1): HTMLAnchorElement | null {
  const links = [...document.querySelectorAll<HTMLAnchorElement>('.mail-list a')];
  if (links.length === 0) return null;
  const at = links.findIndex((a) => a.getAttribute('aria-current') === 'true');
  const next = at < 0 ? 0 : Math.min(links.length - 1, Math.max(0, at + by));
  return links[next];
}

export function Shortcuts() {
  const { t } = useI18n();
  const sheet = useRef<HTMLDialogElement>(null);
  const [on, setOn] = useState(enabled);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (e.key === '?') {
        e.preventDefault();
        sheet.current?.showModal();
        return;
      }
      if (!on || sheet.current?.open) return;
      if (e.key === '/') {
        // The last query selected, so that typing starts a new one.
        const field = document.getElementById('mail-search-input') as HTMLInputElement | null;
        if (field) {
          e.preventDefault();
          field.focus();
          field.select();
        }
        return;
      }
      if (e.key === 'j' || e.key === 'k') {
        // Clicked, as the person would: the router follows it, and a search result stays a result.
        const link = step(e.key === 'j' ? 1 : -1);
        if (link) {
          e.preventDefault();
          link.click();
        }
        return;
      }
      const target = document.querySelector<HTMLElement>(`[data-shortcut="${e.key}"]`);
      if (target) {
        e.preventDefault();
        target.click();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [on]);

  const toggle = (value: boolean) => {
    setOn(value);
    try {
      localStorage.setItem(STORAGE, value ? 'on' : 'off');
    } catch {
      // Not kept past this page.
    }
  };

  return (
    <>
      <p class="mail-shortcuts-hint">
        <button type="button" class="button button-quiet" onClick={() => sheet.current?.showModal()}>
          {t('mail:shortcuts.open')}
        </button>
      </p>
      <dialog ref={sheet} class="shortcut-sheet" aria-labelledby="shortcuts-title">
        <h2 id="shortcuts-title">{t('mail:shortcuts.title')}</h2>
        <table>
          <caption class="visually-hidden">{t('mail:shortcuts.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('mail:shortcuts.key')}</th>
              <th scope="col">{t('mail:shortcuts.action')}</th>
            </tr>
          </thead>
          <tbody>
            {KEYS.map(([key, action, name]) => (
              <tr key={key}>
                <td>
                  <kbd>{name ? t(name) : key}</kbd>
                </td>
                <td>{t(`mail:shortcuts.keys.${action}`)}</td>
              </tr>
            ))}
            <tr>
              <td>
                <kbd>Ctrl</kbd> + <kbd>{t('mail:shortcuts.enter')}</kbd>
              </td>
              <td>{t('mail:shortcuts.keys.send')}</td>
            </tr>
          </tbody>
        </table>
        <label class="checkbox">
          <input type="checkbox" checked={on} onChange={(e) => toggle(e.currentTarget.checked)} />{' '}
          {t('mail:shortcuts.enabled')}
        </label>
        <form method="dialog">
          <button type="submit" class="button">
            {t('mail:shortcuts.close')}
          </button>
        </form>
      </dialog>
    </>
  );
}
