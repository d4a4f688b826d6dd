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
