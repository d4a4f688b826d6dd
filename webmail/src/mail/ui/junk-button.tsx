import { useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { mailApi } from '../mail-api';
import { notifyMoved } from '../moved';

/**
 * "Junk" (into the Junk folder) or, in Junk, "Not junk" (back to the inbox). The server moves
 * the messages; Dovecot hands their fingerprints, computed before encryption, to the platform's
 * filter. The list drops them, the move is announced, and focus goes to the list, since the
 * button may leave with the message.
 */
export function JunkButton(props: {
  address: string;
  folder: string;
  uids: number[];
  inJunk: boolean;
  class?: string;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const act = async () => {
    if (busy || props.uids.length === 0) return;
    setBusy(true);
    setError('');
    try {
      await mailApi.junk(props.address, props.folder, props.uids, !props.inJunk);
      const count = props.uids.length;
      announce(t(props.inJunk ? 'mail:junk.restored' : 'mail:junk.moved', { count }));
      notifyMoved(props.folder, props.uids);
      document.querySelector<HTMLElement>('.mail-list-pane')?.focus();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class={props.class ?? 'button button-quiet'}
        data-shortcut="!"
        aria-keyshortcuts="!"
        aria-busy={busy}
        onClick={() => void act()}
      >
        {props.inJunk ? t('mail:junk.unmark') : t('mail:junk.mark')}
      </button>
      {error && <Alert kind="error">{error}</Alert>}
    </>
  );
}
