import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useI18n } from '../shell/i18n';

let firstScreenShown = false;

/**
 * A screen's heading and the document title. After the first screen of the page load, a new
 * screen moves the focus to its heading, so keyboard and screen-reader users start reading there
 * (on the first load the focus stays at the top, where the skip link is).
 */
export function Screen(props: { title: string; children?: ComponentChildren; class?: string }) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · ${t('shell:app.name')}`;
  }, [props.title, t]);
  useEffect(() => {
    if (firstScreenShown) heading.current?.focus();
    firstScreenShown = true;
  }, []);
  return (
    <div class={props.class ?? 'screen'}>
      <h1 tabIndex={-1} ref={heading}>
        {props.title}
      </h1>
      {props.children}
    </div>
  );
}
