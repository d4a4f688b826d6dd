import { useState } from 'preact/hooks';
import { useI18n } from '../shell/i18n';
import { CopyButton } from './copy-button';

/**
 * A mailbox's recovery code, shown once, on a screen of its own (the caller's): the code, a copy
 * and a print button, what it is for, and an "I wrote it down" box to tick before going on, so
 * nobody leaves the screen without having kept it. The code is never stored by the page.
 */
export function RecoveryCodeShown(props: {
  code: string;
  /** Whose code it is and what to do with it (it belongs to the owner, who keeps it safe). */
  explanation: string;
  /** The "I wrote it down" box. */
  keptLabel: string;
  doneLabel: string;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [kept, setKept] = useState(false);
  const [asked, setAsked] = useState(false);
  return (
    <div class="recovery">
      <p>{props.explanation}</p>
      <p class="warning-text">
        <span aria-hidden="true">⚠ </span>
        {t('shell:recovery.once')}
      </p>
      <p class="recovery-code">
        <code data-testid="recovery-code">{props.code}</code>
      </p>
      <div class="actions">
        <CopyButton text={props.code} label={t('shell:recovery.copy')} />
        <button type="button" class="button" onClick={() => window.print()}>
          {t('shell:recovery.print')}
        </button>
      </div>
      <p>{t('shell:recovery.use')}</p>
      <form
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          setAsked(true);
          if (kept) props.onDone();
          else document.getElementById('recovery-kept')?.focus();
        }}
      >
        <div class={asked && !kept ? 'field field-invalid' : 'field'}>
          <label class="checkbox">
            <input
              id="recovery-kept"
              type="checkbox"
              checked={kept}
              onChange={(e) => setKept(e.currentTarget.checked)}
              aria-invalid={asked && !kept ? 'true' : undefined}
              aria-describedby={asked && !kept ? 'recovery-kept-error' : undefined}
            />{' '}
            {props.keptLabel}
          </label>
          {asked && !kept && (
            <p id="recovery-kept-error" class="field-error">
              {t('shell:recovery.keptMissing')}
            </p>
          )}
        </div>
        <button type="submit" class="button button-primary">
          {props.doneLabel}
        </button>
      </form>
    </div>
  );
}
