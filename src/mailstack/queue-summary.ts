import path from 'node:path';
import type { Config } from '../config';
import { mailstackDir } from './from-config';
import { queuedMessages } from './processes';
import { PRODUCTION_PATHS, privatePaths } from './settings';

/** The Postfix whose queue giroflee watches: its private stack's, or the system's. */
export const watchedPostfixConfigDir = (config: Config): string =>
  config.mailstack ? privatePaths(mailstackDir(config)).postfixConfigDir : PRODUCTION_PATHS.postfixConfigDir;

export interface QueueSummary {
  total: number;
  /** Messages per Postfix queue (active, deferred, hold, incoming, maildrop). */
  byQueue: Record<string, number>;
  /** When the oldest message arrived, or null for an empty queue. */
  oldestArrival: string | null;
}

/**
 * Counts of Postfix's queue, from `postqueue -j`: how many messages wait, and in which queue.
 * Addresses and remote servers' answers stay out (they are people's data).
 */
export async function queueSummary(configDir: string): Promise<QueueSummary> {
  const messages = (await queuedMessages(path.resolve(configDir))) as Array<{
    queue_name: string;
    arrival_time?: number;
  }>;
  const byQueue: Record<string, number> = {};
  let oldest: number | undefined;
  for (const m of messages) {
    byQueue[m.queue_name] = (byQueue[m.queue_name] ?? 0) + 1;
    if (m.arrival_time !== undefined) oldest = Math.min(oldest ?? m.arrival_time, m.arrival_time);
  }
  return {
    total: messages.length,
    byQueue,
    oldestArrival: oldest === undefined ? null : new Date(oldest * 1000).toISOString(),
  };
}
