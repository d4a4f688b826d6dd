import { useI18n } from '../../shell/i18n';
import type { CheckStatus } from '../lib/types';

const ICON: Record<CheckStatus, string> = { ok: '✓', warning: '!', error: '✗', unknown: '?' };

/**
 * A check's status in words, with a shape and a colour that only repeat them: the word is
 * what counts (no information by colour alone).
 */
export function StatusBadge(props: { status: CheckStatus; label?: string }) {
  const { t } = useI18n();
  return (
    <span class={`status status-${props.status}`}>
      <span class="status-icon" aria-hidden="true">
        {ICON[props.status]}
      </span>
      {props.label ?? t(`console:status.${props.status}`)}
    </span>
  );
}

/** The same badge for other states: `tone` picks the shape and colour, `label` says it. */
export function StateBadge(props: { tone: CheckStatus | 'neutral'; label: string }) {
  return (
    <span class={`status status-${props.tone}`}>
      <span class="status-icon" aria-hidden="true">
        {props.tone === 'neutral' ? '•' : ICON[props.tone]}
      </span>
      {props.label}
    </span>
  );
}
