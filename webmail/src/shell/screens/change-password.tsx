import { useRef, useState } from 'preact/hooks';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { StrengthMeter } from '../../ui/strength-meter';
import { Screen } from '../../ui/screen';
import { announce } from '../announce';
import { api, ApiError } from '../api';
import { describeError } from '../errors';
import { useI18n } from '../i18n';
import { useSession } from '../session';

/**
 * An account logged in with a one-time password must choose its own before anything else
 * (`mustChangePassword` in /me); the API's password policy explains any refusal.
 */
export function ChangePasswordScreen(props: { onChanged: () => void }) {
  const { t } = useI18n();
  const session = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<{ current?: string; next?: string; confirm?: string }>({});
  const inputs = {
    current: useRef<HTMLInputElement>(null),
    next: useRef<HTMLInputElement>(null),
    confirm: useRef<HTMLInputElement>(null),
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const problems = {
      current: current ? undefined : t('shell:password.currentMissing'),
      next: next ? undefined : t('shell:password.newMissing'),
      confirm: next && confirm !== next ? t('shell:password.mismatch') : undefined,
    };
    setFields(problems);
    setError('');
    const first = (['current', 'next', 'confirm'] as const).find((k) => problems[k]);
    if (first) {
      inputs[first].current?.focus();
      return;
    }
    setBusy(true);
    try {
      await api('POST', '/me/password', { body: { currentPassword: current, newPassword: next } });
      announce(t('shell:password.changed'));
      await session.refresh();
      props.onChanged();
    } catch (e) {
      setBusy(false);
      if (e instanceof ApiError && e.code === 'invalid_credentials') {
        setFields({ current: t('shell:password.currentWrong') });
        inputs.current.current?.focus();
      } else if (e instanceof ApiError && e.code.startsWith('password_')) {
        // The policy's refusals (too short, too common, contains the login) belong to the new password.
        setFields({ next: describeError(e) });
        inputs.next.current?.focus();
      } else {
        setError(describeError(e));
      }
    }
  };

  return (
    <Screen title={t('shell:password.title')} class="screen screen-narrow">
      <p>{t('shell:password.intro')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="current-password"
          type="password"
          label={t('shell:password.current')}
          value={current}
          onValue={setCurrent}
          autoComplete="current-password"
          error={fields.current}
          inputRef={inputs.current}
        />
        <TextField
          id="new-password"
          type="password"
          label={t('shell:password.new')}
          hint={t('shell:password.newHint')}
          value={next}
          onValue={setNext}
          autoComplete="new-password"
          error={fields.next}
          inputRef={inputs.next}
          describedBy="new-password-strength"
        />
        <StrengthMeter
          id="new-password-strength"
          password={next}
          inputs={session.me.type === 'account' ? [session.me.email] : []}
        />
        <TextField
          id="confirm-password"
          type="password"
          label={t('shell:password.confirm')}
          value={confirm}
          onValue={setConfirm}
          autoComplete="new-password"
          error={fields.confirm}
          inputRef={inputs.confirm}
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          {t('shell:password.submit')}
        </button>
      </form>
    </Screen>
  );
}
