import { useState } from 'preact/hooks';
import { PasswordForm } from '../../ui/password-form';
import { RecoveryCodeShown } from '../../ui/recovery-code';
import { Screen } from '../../ui/screen';
import { announce } from '../announce';
import { api } from '../api';
import { useI18n } from '../i18n';
import { displayName, useSession } from '../session';

/**
 * A console account or a mailbox logged in with a one-time password must choose its own before
 * anything else (`mustChangePassword` in /me), a mailbox before its mail is unlocked; the API's
 * password policy explains any refusal. A mailbox with an encryption key then gets a fresh
 * recovery code, shown here once before going on.
 */
export function ChangePasswordScreen(props: { onChanged: () => void }) {
  const { t } = useI18n();
  const session = useSession();
  const { me } = session;
  const [recoveryCode, setRecoveryCode] = useState<string | null>(null);
  const done = async () => {
    await session.refresh();
    props.onChanged();
  };

  if (recoveryCode) {
    return (
      <Screen title={t('shell:recovery.title')} class="screen screen-medium">
        <RecoveryCodeShown
          code={recoveryCode}
          explanation={t('shell:recovery.yours', { address: displayName(me) })}
          keptLabel={t('shell:recovery.kept')}
          doneLabel={t('shell:recovery.done')}
          onDone={() => void done()}
        />
      </Screen>
    );
  }
  return (
    <Screen title={t('shell:password.title')} class="screen screen-narrow">
      <p>{me.type === 'mailbox' ? t('shell:password.introMailbox') : t('shell:password.intro')}</p>
      <PasswordForm
        id="password"
        login={displayName(me)}
        askCurrent
        labels={{
          current: t('shell:password.current'),
          currentMissing: t('shell:password.currentMissing'),
          currentWrong: t('shell:password.currentWrong'),
        }}
        submitLabel={t('shell:password.submit')}
        onSubmit={async ({ current, next }) => {
          const body = { currentPassword: current, newPassword: next };
          if (me.type === 'mailbox') {
            const changed = await api<{ recoveryCode: string | null }>(
              'POST',
              `/mailboxes/${encodeURIComponent(me.address)}/password`,
              { body },
            );
            announce(t('shell:password.changed'));
            if (changed.recoveryCode) return setRecoveryCode(changed.recoveryCode);
          } else {
            await api('POST', '/me/password', { body });
            announce(t('shell:password.changed'));
          }
          await done();
        }}
      />
    </Screen>
  );
}
