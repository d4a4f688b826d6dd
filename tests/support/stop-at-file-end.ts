/**
 * Stops what a test file started even when its own afterAll cannot: a beforeAll that times out
 * leaves its stack half-assigned (the start goes on after jest gave up), and Postfix, Dovecot,
 * rspamd or PostgreSQL would outlive the run. The helpers that start processes register here;
 * their own stop() unregisters.
 */
const leftovers = new Set<() => Promise<void>>();

/** Runs `stop` when the file ends unless the returned function is called first. */
export function stopAtFileEnd(stop: () => Promise<void>): () => void {
  leftovers.add(stop);
  return () => leftovers.delete(stop);
}

/** The last hook of every test file (jest's setupFilesAfterEnv). */
export async function stopLeftovers(): Promise<void> {
  for (const stop of [...leftovers].reverse()) {
    leftovers.delete(stop);
    await stop().catch((err) => process.stderr.write(`could not stop a leftover: ${String(err)}\n`));
  }
}
