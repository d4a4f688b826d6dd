import vm from 'node:vm';
import { minorCollection, YoungGarbage } from '../../src/encryption/young-garbage';

describe('YoungGarbage', () => {
  it('collects once per step of bytes, counting across chunks of any size', () => {
    const collect = jest.fn();
    const garbage = new YoungGarbage(100, collect);
    for (const n of [40, 40]) garbage.passed(n);
    expect(collect).not.toHaveBeenCalled();
    garbage.passed(20);
    expect(collect).toHaveBeenCalledTimes(1);
    for (const n of [99, 0, 1, 250]) garbage.passed(n);
    expect(collect).toHaveBeenCalledTimes(3);
  });

  it('never collects for a transfer smaller than its step', () => {
    const collect = jest.fn();
    const garbage = new YoungGarbage(4 * 1024 * 1024, collect);
    for (let i = 0; i < 63; i++) garbage.passed(64 * 1024);
    expect(collect).not.toHaveBeenCalled();
  });

  it("runs V8's young-generation collection and leaves gc exposed to no other code", () => {
    minorCollection();
    minorCollection();
    expect(vm.runInNewContext('typeof gc')).toBe('undefined');
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
