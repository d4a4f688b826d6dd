import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../shell/api';
import { describeError } from '../shell/errors';
import { useI18n } from '../shell/i18n';
import { Alert } from './alert';
import { TextField } from './field';
import { StrengthMeter } from './strength-meter';

export interface PasswordInput {
  /** Empty when the form does not ask for it. */
  current: string;
  next: string;
}

/** Texts a screen may word its own way; the shell's generic ones otherwise. */
export interface PasswordLabels {
  current?: string;
  currentMissing?: string;
  currentWrong?: string;
  next?: string;
  nextMissing?: string;
  confirm?: string;
  mismatch?: string;
}

/**
 * Choosing a new password, everywhere the app asks for one (a console account, a mailbox, an
 * invitation, a forced change): the current password when it is needed, the new one with the
 * strength meter of the server's policy, and a second typing. The API's refusals land on the
 * field they are about: a wrong current password on the first, the policy's on the new one.
 * Field ids are `current-<id>`, `new-<id>`, `confirm-<id>`.
 */
export function PasswordForm(props: {
  id: string;
  /** The login the password must not contain; also given to the strength estimate. */
  login?: string;
  askCurrent?: boolean;
  labels?: PasswordLabels;
  submitLabel: string;
  busyLabel?: string;
  /** Text above the fields (what else changes). */
  intro?: ComponentChildren;
  /** Fields of the caller's own, shown first (an invitation's code). */
  before?: ComponentChildren;
  /** Checks the caller's own fields; false stops the submission (it shows and focuses why). */
  check?: () => boolean;
  onSubmit: (input: PasswordInput) => Promise<void>;
  /** Takes an error the caller shows itself (a wrong invitation code): returns true then. */
  onError?: (e: unknown) => boolean;
  /** The words for other errors; the shell's describeError by default. */
  describe?: (e: unknown) => string;
}) {
  const { t } = useI18n();
  const labels = props.labels ?? {};
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<{ current?: string; next?: string; confirm?: string }>({});
  const refs = {
    current: useRef<HTMLInputElement>(null),
    next: useRef<HTMLInputElement>(null),
    confirm: useRef<HTMLInputElement>(null),
  };
  const describe = props.describe ?? describeError;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems = {
      current:
        props.askCurrent && !current
          ? (labels.currentMissing ?? t('shell:password.currentOwnMissing'))
          : undefined,
      next: next ? undefined : (labels.nextMissing ?? t('shell:password.newMissing')),
      confirm: next && confirm !== next ? (labels.mismatch ?? t('shell:password.mismatch')) : undefined,
    };
    setFields(problems);
    setError('');
    if (props.check && !props.check()) return;
    const first = (['current', 'next', 'confirm'] as const).find((k) => problems[k]);
    if (first) {
      refs[first].current?.focus();
      return;
    }
    setBusy(true);
    try {
      await props.onSubmit({ current: props.askCurrent ? current : '', next });
      setCurrent('');
      setNext('');
      setConfirm('');
    } catch (e) {
      if (props.onError?.(e)) return;
      if (props.askCurrent && e instanceof ApiError && e.code === 'invalid_credentials') {
        setFields({ current: labels.currentWrong ?? t('shell:password.currentOwnWrong') });
        refs.current.current?.focus();
      } else if (e instanceof ApiError && e.code.startsWith('password_')) {
        // The policy's refusals (too short, too common, contains the login) belong to the new password.
        setFields({ next: describe(e) });
        refs.next.current?.focus();
      } else {
        setError(describe(e));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} noValidate aria-busy={busy}>
      {error && <Alert kind="error">{error}</Alert>}
      {props.intro}
      {props.before}
      {props.askCurrent && (
        <TextField
          id={`current-${props.id}`}
          type="password"
          label={labels.current ?? t('shell:password.currentOwn')}
          value={current}
          onValue={setCurrent}
          autoComplete="current-password"
          error={fields.current}
          inputRef={refs.current}
        />
      )}
      <TextField
        id={`new-${props.id}`}
        type="password"
        label={labels.next ?? t('shell:password.new')}
        hint={t('shell:password.newHint')}
        value={next}
        onValue={setNext}
        autoComplete="new-password"
        error={fields.next}
        inputRef={refs.next}
        describedBy={`new-${props.id}-strength`}
      />
      <StrengthMeter
        id={`new-${props.id}-strength`}
        password={next}
        inputs={props.login ? [props.login] : []}
      />
      <TextField
        id={`confirm-${props.id}`}
        type="password"
        label={labels.confirm ?? t('shell:password.confirm')}
        value={confirm}
        onValue={setConfirm}
        autoComplete="new-password"
        error={fields.confirm}
        inputRef={refs.confirm}
      />
      <button type="submit" class="button button-primary" disabled={busy}>
        {busy && props.busyLabel ? props.busyLabel : props.submitLabel}
      </button>
    </form>
  );
}
