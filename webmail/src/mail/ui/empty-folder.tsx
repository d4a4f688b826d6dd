import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { announce } from '../../shell/announce';
import { describeError } from '../../shell/errors';
import { useI18n } from '../../shell/i18n';
import { Alert } from '../../ui/alert';
import { mailApi } from '../mail-api';

/**
 * "Empty the Trash" (or the Junk folder): asks first, saying how many messages go for good, with
 * "Cancel" focused as the safe answer. The server deletes only if the folder still holds that many.
 */
export function EmptyFolder(props: {
  address: string;
  folder: string;
  kind: 'trash' | 'junk';
  count: number;
  onEmptied(): void;
}) {
  const { t } = useI18n();
  const id = useId();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const cancel = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancel.current?.focus();
  }, [asking]);

  const close = () => {
    setAsking(false);
    requestAnimationFrame(() => opener.current?.focus());
  };
  const empty = async () => {
    if (busy) return;
    setBusy(true);
    setError('');
    try {
      const { deleted } = await mailApi.empty(props.address, props.folder, props.count);
      announce(t('mail:empty.done', { count: deleted }));
      setAsking(false);
      props.onEmptied();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  if (!asking) {
    return (
      <button ref={opener} type="button" class="button button-quiet" onClick={() => setAsking(true)}>
        {t(`mail:empty.${props.kind}.label`)}
      </button>
    );
  }
  return (
    <div class="alert alert-info mail-confirm" role="group" aria-labelledby={`${id}-question`}>
      <p id={`${id}-question`}>{t(`mail:empty.${props.kind}.confirm`, { count: props.count })}</p>
      {error && <Alert kind="error">{error}</Alert>}
      <div class="mail-actions">
        <button type="button" class="button" aria-busy={busy} onClick={() => void empty()}>
          {t('mail:empty.go', { count: props.count })}
        </button>
        <button ref={cancel} type="button" class="button button-quiet" onClick={close} disabled={busy}>
          {t('mail:empty.cancel')}
        </button>
      </div>
    </div>
  );
}
