import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { useI18n } from '../../shell/i18n';
import { consoleError } from '../lib/errors';

export interface ConfirmDialogProps {
  title: string;
  /** What will happen, in plain words: the person decides on this text. */
  children: ComponentChildren;
  confirmLabel: string;
  /** A destructive act: the confirm button says so by its look as well as its words. */
  danger?: boolean;
  /** Text the person must type exactly (the address to delete) before the act is done. */
  typeToConfirm?: string;
  /**
   * Does the act; a thrown API error is shown in the dialog, which stays open, and so does
   * `false` (the form in the dialog found something to fix and said so by its field).
   */
  onConfirm: () => Promise<void | false>;
  onClose: () => void;
}

/**
 * Asks before an act that cannot be taken back. A modal <dialog>: the browser keeps the focus
 * inside, Escape cancels, and the focus returns to the button that opened it.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const { t } = useI18n();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const typedInput = useRef<HTMLInputElement>(null);
  const [typed, setTyped] = useState('');
  const [typedError, setTypedError] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    // The dialog leaves the DOM when it closes, before the browser could give the focus back.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    d.showModal();
    // A field to fill comes first; otherwise "Cancel", the safe answer.
    (
      typedInput.current ??
      d.querySelector<HTMLElement>('.dialog-body input, .dialog-body select') ??
      d.querySelector<HTMLElement>('[data-initial-focus]')
    )?.focus();
    return () => {
      if (d.open) d.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (props.typeToConfirm !== undefined && typed.trim() !== props.typeToConfirm) {
      setTypedError(t('console:confirm.typedMismatch', { text: props.typeToConfirm }));
      typedInput.current?.focus();
      return;
    }
    setBusy(true);
    setError('');
    try {
      if ((await props.onConfirm()) === false) {
        setBusy(false);
        return;
      }
      props.onClose();
    } catch (e) {
      setBusy(false);
      setError(consoleError(e));
    }
  };

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) props.onClose();
      }}
    >
      <form class="form" onSubmit={submit} noValidate aria-busy={busy}>
        <h2 id={`${id}-title`} class="dialog-title">
          {props.title}
        </h2>
        <div id={`${id}-body`} class="dialog-body">
          {props.children}
        </div>
        {error && <Alert kind="error">{error}</Alert>}
        {props.typeToConfirm !== undefined && (
          <TextField
            id={`${id}-typed`}
            label={t('console:confirm.typeLabel', { text: props.typeToConfirm })}
            value={typed}
            onValue={setTyped}
            error={typedError}
            inputRef={typedInput}
          />
        )}
        <div class="actions">
          <button type="button" class="button" onClick={props.onClose} disabled={busy} data-initial-focus>
            {t('console:common.cancel')}
          </button>
          <button type="submit" class={props.danger ? 'button button-danger' : 'button button-primary'}>
            {busy ? t('console:common.working') : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
