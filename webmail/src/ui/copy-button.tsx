import { useEffect, useState } from 'preact/hooks';
import { announce } from '../shell/announce';
import { useI18n } from '../shell/i18n';

/** Copies through the Clipboard API, or by selecting a hidden field where it is refused. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.append(area);
    area.select();
    // The old way still works where the Clipboard API is refused (a page served over plain HTTP).
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

/**
 * A button that copies one value. It shows "Copier"; its accessible name, which starts with the
 * same word, says what it copies ("Copier le nom (TXT _giroflee)"). The result is shown on the
 * button and said through the live region.
 */
export function CopyButton(props: { text: string; label: string; visible?: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 4000);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    const ok = await copyText(props.text);
    setState(ok ? 'copied' : 'failed');
    announce(ok ? t('shell:copy.done') : t('shell:copy.failed'));
  };
  return (
    <button
      type="button"
      class="button button-quiet copy-button"
      onClick={copy}
      aria-label={state === 'idle' ? props.label : undefined}
    >
      {state === 'copied' ? (
        <>
          <span aria-hidden="true">✓ </span>
          {t('shell:copy.doneShort')}
        </>
      ) : (
        (props.visible ?? t('shell:copy.short'))
      )}
    </button>
  );
}

/** A value to copy: its label, the value in monospace (selectable), its copy button. */
export function CopyField(props: { label: string; value: string; copyLabel: string }) {
  return (
    <div class="copy-field">
      <span class="copy-field-label">{props.label}</span>
      <code class="copy-field-value">{props.value}</code>
      <CopyButton text={props.value} label={props.copyLabel} />
    </div>
  );
}
