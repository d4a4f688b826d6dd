import { useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { mailApi } from '../mail-api';
import { notifyMoved } from '../moved';

interface Target {
  address: string;
  folder: string;
  uids: number[];
}

/**
 * A button that takes messages out of the folder (junk, not junk, delete): the list drops them,
 * the move is announced, and focus goes to the list, since the button may leave with them.
 */
function MoveButton(
  props: Target & { label: string; shortcut: string; move: () => Promise<unknown>; done: string },
) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const act = async () => {
    if (busy || props.uids.length === 0) return;
    setBusy(true);
    setError('');
    try {
      await props.move();
      announce(props.done);
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
        class="button button-quiet"
        data-shortcut={props.shortcut}
        aria-keyshortcuts={props.shortcut}
        aria-busy={busy}
        onClick={() => void act()}
      >
        {props.label}
      </button>
      {error && <Alert kind="error">{error}</Alert>}
    </>
  );
}

/**
 * "Junk" (into the Junk folder) or, in Junk, "Not junk" (back to the inbox). The server moves
 * the messages; Dovecot hands their fingerprints, computed before encryption, to the platform's
 * filter.
 */
export function JunkButton(props: Target & { inJunk: boolean }) {
  const { t } = useI18n();
  const count = props.uids.length;
  return (
    <MoveButton
      {...props}
      label={props.inJunk ? t('mail:junk.unmark') : t('mail:junk.mark')}
      shortcut="!"
      move={() => mailApi.junk(props.address, props.folder, props.uids, !props.inJunk)}
      done={t(props.inJunk ? 'mail:junk.restored' : 'mail:junk.moved', { count })}
    />
  );
}

/** "Delete": into the Trash, where the messages stay until the Trash is emptied. */
export function DeleteButton(props: Target) {
  const { t } = useI18n();
  return (
    <MoveButton
      {...props}
      label={t('mail:delete.label')}
      shortcut="Delete"
      move={() => mailApi.remove(props.address, props.folder, props.uids)}
      done={t('mail:delete.done', { count: props.uids.length })}
    />
  );
}
