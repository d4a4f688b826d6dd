import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { useSession } from '../../shell/session';
import { Alert } from '../../ui/alert';
import { TextField } from '../../ui/field';
import { Screen } from '../../ui/screen';
import { announce } from '../../shell/announce';
import { crypto, CryptoError, storeBlob, storedBlob } from '../crypto/client';
import { mailApi } from '../mail-api';

type State = 'checking' | 'locked' | 'open';

/**
 * Shows its children once the mailbox key is open in the crypto Worker: at once for a mailbox
 * that stores mail in clear, from this tab's sealed blob after a reload, else after the password.
 */
export function Unlocked(props: { children: ComponentChildren }) {
  const { t } = useI18n();
  const { me } = useSession();
  const address = me.type === 'mailbox' ? me.address : '';
  const [state, setState] = useState<State>('checking');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void (async () => {
      try {
        const { encryptionMode } = await mailApi.settings(address);
        if (encryptionMode === 'none' || (await crypto('isUnlocked', undefined))) return setState('open');
        const blob = storedBlob();
        if (blob && (await crypto('restore', { address, blob }))) return setState('open');
      } catch {
        // Fall through to the password.
      }
      setState('locked');
    })();
  }, [address]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!password) {
      setError(t('mail:unlock.passwordMissing'));
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError('');
    try {
      const { blob } = await crypto('unlock', { address, password });
      storeBlob(blob);
      setPassword('');
      announce(t('mail:unlock.done'));
      setState('open');
    } catch (e) {
      setBusy(false);
      setError(
        e instanceof CryptoError
          ? t(`mail:unlock.errors.${e.code}`, { defaultValue: t('mail:unlock.errors.crypto_failed') })
          : describeError(e),
      );
      input.current?.focus();
    }
  };

  if (state === 'open') return <>{props.children}</>;
  if (state === 'checking') return <p aria-busy="true">{t('shell:app.loading')}</p>;
  return (
    <Screen title={t('mail:unlock.title')} class="screen screen-narrow">
      <p>{t('mail:unlock.intro')}</p>
      {error && <Alert kind="error">{error}</Alert>}
      <form class="form" onSubmit={submit} noValidate aria-busy={busy}>
        <TextField
          id="mail-password"
          type="password"
          label={t('mail:unlock.password')}
          value={password}
          onValue={setPassword}
          autoComplete="current-password"
          inputRef={input}
        />
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? t('mail:unlock.busy') : t('mail:unlock.submit')}
        </button>
      </form>
    </Screen>
  );
}
