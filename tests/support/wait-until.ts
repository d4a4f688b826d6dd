/**
 * How long a test waits for a real event (a message in a mailbox, a relay's receipt, a queue
 * state). Real stacks act after their own replies, on a machine shared with other work: the
 * bound is generous, and reaching it means the event did not happen, not that it was slow.
 */
export const WAIT_MS = 60_000;

/**
 * Jest's timeout for a test that waits on real events: room for a few `waitUntil`s, so a test
 * that fails does so with `waitUntil`'s message naming the event, not with jest's timeout.
 */
export const REAL_STACK_TEST_MS = 3 * WAIT_MS;

/**
 * Polls `probe` until it returns something other than `undefined` or `false`, and returns it.
 * Fails after `timeoutMs` with "gave up waiting for <what>". A probe that throws fails at once:
 * waiting is for an event to come, not for an error to go away.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = WAIT_MS, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} (${timeoutMs / 1000} s)`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
