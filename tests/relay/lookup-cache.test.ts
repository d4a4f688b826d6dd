import { LookupCache } from '../../src/relay/lookup-cache';

function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('LookupCache (the outbound gateway reads, kept a few seconds)', () => {
  it('serves a burst from one load, then loads again once the entry is as old as its lifetime', async () => {
    const clock = fakeClock();
    let version = 1;
    const loads: string[] = [];
    const cache = new LookupCache(
      async (key: string) => {
        loads.push(key);
        return `${key} v${version}`;
      },
      2000,
      clock.now,
    );
    expect(await Promise.all([cache.get('a'), cache.get('a'), cache.get('b')])).toEqual([
      'a v1',
      'a v1',
      'b v1',
    ]);
    version = 2;
    clock.advance(1999);
    expect(await cache.get('a')).toBe('a v1');
    clock.advance(1);
    expect(await cache.get('a')).toBe('a v2');
    expect(loads).toEqual(['a', 'b', 'a']);
  });

  it('keeps no failed load: the next call asks again', async () => {
    const clock = fakeClock();
    let fail = true;
    const cache = new LookupCache(
      async () => {
        if (fail) throw new Error('database down');
        return 'relays';
      },
      2000,
      clock.now,
    );
    await expect(cache.get('pool')).rejects.toThrow('database down');
    fail = false;
    expect(await cache.get('pool')).toBe('relays');
  });
});
