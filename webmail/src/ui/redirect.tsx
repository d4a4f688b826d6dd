import { useLocation } from 'preact-iso';
import { useLayoutEffect } from 'preact/hooks';

/** Replaces the current URL (no history entry) and renders nothing. */
export function Redirect(props: { to: string }) {
  const { route } = useLocation();
  useLayoutEffect(() => route(props.to, true), [props.to]);
  return null;
}
