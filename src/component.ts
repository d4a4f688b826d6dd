import type { AppContext } from './context';

/**
 * A long-running part of `giroflee serve` (HTTP, gateways, DNS zone, scheduled jobs). Each lives
 * with its module and is listed in src/serve.ts; this type has its own module so that those
 * modules need not import serve.ts, which imports them.
 */
export interface Component {
  name: string;
  enabled?(ctx: AppContext): boolean;
  start(ctx: AppContext): Promise<{ stop(): Promise<void> }>;
}

/**
 * Runs `work` every `intervalMs`, and at once when `immediately`: never two at a time (a tick that
 * comes while the last one still runs is skipped), never keeping the process alive. `stop` waits
 * for the running one.
 */
export function runPeriodically(
  intervalMs: number,
  work: () => Promise<unknown>,
  onError: (err: unknown) => void,
  { immediately = true } = {},
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const tick = () => {
    running ??= work()
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  if (immediately) tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
