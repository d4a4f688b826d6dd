import { useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  /** Loads again (after a change, or when the person asks). */
  reload(): void;
  /** Replaces the data with what a change answered, without a new request. */
  set(data: T): void;
}

/**
 * Loads what a screen shows, again whenever `deps` change; a newer load replaces an older
 * one still under way (its request is aborted), so a slow answer never overwrites a fresh one.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    latest.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [...deps, round]);
  return {
    ...state,
    reload: () => setRound((r) => r + 1),
    set: (data: T) => setState({ data, loading: false }),
  };
}
