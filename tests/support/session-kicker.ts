import type { SessionKicker } from '../../src/context';

/**
 * Stands in for Dovecot's doveadm API in API tests: records the addresses whose sessions it was
 * asked to end (sorted, one list per call), and fails as an unreachable Dovecot once `failing`
 * is set.
 */
export function recordingKicker(): SessionKicker & { kicked: string[][]; failing: boolean } {
  const kicker = {
    kicked: [] as string[][],
    failing: false,
    async kick(addresses: string[]) {
      if (kicker.failing) throw new Error('doveadm: HTTP 500');
      kicker.kicked.push([...addresses].sort());
    },
  };
  return kicker;
}
