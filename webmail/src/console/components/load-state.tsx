import type { ComponentChildren } from 'preact';
import { Alert } from '../../ui/alert';
import { useI18n } from '../../shell/i18n';
import { consoleError } from '../lib/errors';
import type { Loaded } from '../lib/use-load';

/**
 * What a screen shows while its data loads, when it failed (with a retry), or the data itself.
 * A reload keeps the old data on screen (marked busy) instead of blanking it.
 */
export function LoadState<T>(props: { state: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { t } = useI18n();
  const { state } = props;
  if (state.data === undefined) {
    if (state.error !== undefined) {
      return (
        <div>
          <Alert kind="error">{consoleError(state.error)}</Alert>
          <button type="button" class="button" onClick={state.reload}>
            {t('console:common.retry')}
          </button>
        </div>
      );
    }
    return (
      <p class="loading" aria-busy="true">
        {t('console:common.loading')}
      </p>
    );
  }
  return (
    <div aria-busy={state.loading ? 'true' : undefined}>
      {state.error !== undefined && <Alert kind="error">{consoleError(state.error)}</Alert>}
      {props.children(state.data)}
    </div>
  );
}
