import { spawn } from 'node:child_process';
import readline from 'node:readline';

/** One Postfix queue (`active`, `deferred`, `hold`, `incoming`, `maildrop`): how many, and since when. */
export interface PostfixQueueCount {
  messages: number;
  /** Arrival of the oldest message; null when the queue is empty. */
  oldest: Date | null;
}

export const POSTFIX_QUEUES = ['maildrop', 'incoming', 'active', 'deferred', 'hold'] as const;

/**
 * Reads Postfix's queue through `postqueue -j` (one JSON object per message, Postfix ≥ 3.1),
 * which every local user may run, streamed so that a queue of a million messages is counted
 * without holding it. Only counts and ages are kept: recipients never leave this function.
 */
export function readPostfixQueue(configDir: string): Promise<Record<string, PostfixQueueCount>> {
  return new Promise((resolve, reject) => {
    const summary: Record<string, PostfixQueueCount> = Object.fromEntries(
      POSTFIX_QUEUES.map((q) => [q, { messages: 0, oldest: null }]),
    );
    const child = spawn('postqueue', ['-c', configDir, '-j'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-500);
    });
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line) return;
      let m: { queue_name: string; arrival_time: number };
      try {
        m = JSON.parse(line);
      } catch {
        child.kill();
        reject(new Error('postqueue -j printed something that is not JSON'));
        return;
      }
      const q = (summary[m.queue_name] ??= { messages: 0, oldest: null });
      q.messages++;
      const arrived = new Date(m.arrival_time * 1000);
      if (!q.oldest || arrived < q.oldest) q.oldest = arrived;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(summary);
      else reject(new Error(`postqueue -j exited ${code}: ${stderr.trim()}`));
    });
  });
}
