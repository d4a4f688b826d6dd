import { useEffect, useRef } from 'preact/hooks';
import { useI18n } from '../../shell/i18n';
import { CopyField } from '../../ui/copy-button';

/**
 * A secret the server gives only once (a new API token, a one-time password): shown with a copy
 * button and a plain warning, until the person says they kept it. The heading takes the focus
 * so a screen reader starts there.
 */
export function ShownOnce(props: {
  title: string;
  label: string;
  value: string;
  explanation: string;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="card card-secret" aria-labelledby="shown-once-title">
      <h2 id="shown-once-title" tabIndex={-1} ref={heading}>
        {props.title}
      </h2>
      <p>{props.explanation}</p>
      <p class="warning-text">
        <span aria-hidden="true">⚠ </span>
        {t('console:shownOnce.warning')}
      </p>
      <CopyField label={props.label} value={props.value} copyLabel={t('console:shownOnce.copy')} />
      <button type="button" class="button button-primary" onClick={props.onDone}>
        {t('console:shownOnce.done')}
      </button>
    </section>
  );
}
