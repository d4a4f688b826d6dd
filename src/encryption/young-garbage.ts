import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Keeps the short-lived buffers of one large transfer from piling up. A buffer's memory lies
 * outside V8's heap and is freed only when a garbage collection finds its small wrapper dead. A
 * 50 MB message makes about twice its size of such buffers on each side (socket chunks and
 * smtp-server's copy of each; ciphertext slices and their armor) but few JavaScript objects, so
 * the young generation seldom fills: V8 then collects only once 32 MB of young buffers have
 * piled up (twice its largest semi-space), which put the gateway's peak at 1.4–1.9× the
 * message, varying from run to run (bench/RESULTS.md). A minor collection (a scavenge: the young
 * generation only, a few milliseconds) every few megabytes of the transfer bounds that garbage.
 * Messages smaller than the step never trigger one, so the common path is unchanged.
 */

type Collect = () => void;

let scavenge: Collect | undefined;

/**
 * V8's own collector, asked for a young-generation collection. It is reachable only with
 * `--expose-gc`, which the gateway cannot require of every way it is started: the flag is set
 * for as long as it takes to read `gc` from a fresh context, then unset, so no other code sees it.
 */
export function minorCollection(): void {
  if (!scavenge) {
    v8.setFlagsFromString('--expose-gc');
    try {
      const gc = vm.runInNewContext('gc') as (o: { type: 'minor' }) => void;
      scavenge = () => gc({ type: 'minor' });
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
  }
  scavenge();
}

// Small enough for a 50 MB message to stay under 1.5× its size in every run measured, large
// enough that the collections cost nothing next to encrypting the megabytes between them.
export const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

/** Counts one transfer's bytes and collects the young generation every `everyBytes` of them. */
export class YoungGarbage {
  private since = 0;

  constructor(
    private readonly everyBytes = COLLECT_EVERY_BYTES,
    private readonly collect: Collect = minorCollection,
  ) {}

  /** `bytes` more went through, each leaving short-lived buffers behind. */
  passed(bytes: number): void {
    this.since += bytes;
    if (this.since >= this.everyBytes) {
      this.since = 0;
      this.collect();
    }
  }
}
