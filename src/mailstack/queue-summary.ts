import path from 'node:path';
import type { Config } from '../config';
import { mailstackDir } from './from-config';
import { readPostfixQueue } from './postfix-queue';
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
 * Counts of Postfix's queue: how many messages wait, and in which queue. Addresses and remote
 * servers' answers stay out (they are people's data).
 */
export async function queueSummary(configDir: string): Promise<QueueSummary> {
  const queues = await readPostfixQueue(path.resolve(configDir));
  const byQueue: Record<string, number> = {};
  let oldest: Date | null = null;
  for (const [name, q] of Object.entries(queues)) {
    if (q.messages === 0) continue;
    byQueue[name] = q.messages;
    if (q.oldest && (!oldest || q.oldest < oldest)) oldest = q.oldest;
  }
  return {
    total: Object.values(byQueue).reduce((a, b) => a + b, 0),
    byQueue,
    oldestArrival: oldest?.toISOString() ?? null,
  };
}
