import type { ComponentChildren } from 'preact';

/**
 * A message about the whole form or screen. Errors are role=alert, said at once; other notices
 * are plain text, and whoever shows them calls announce() when they are news (one live region,
 * so nothing is read twice).
 */
export function Alert(props: { kind: 'error' | 'info' | 'success'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : undefined}>
      {props.children}
    </div>
  );
}
