import { LoginThrottle, loginDelayMs } from '../../src/auth/login-throttle';
import { createTestContext, TestContext } from '../support/context';

describe('LoginThrottle', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.destroy());

  it('holds, never refuses, the attempts on a login guessed at from many clients', async () => {
    const waits: number[] = [];
    const throttle = new LoginThrottle(async (ms) => void waits.push(ms));
    // Twelve strangers, one wrong guess each: no client is blocked, the login is slowed down.
    for (let i = 0; i < 12; i++) await throttle.begin(ctx, 'cible@asso.example', `203.0.113.${i}`);
    expect(waits).toEqual([loginDelayMs(11), loginDelayMs(12)]);
    expect(waits[0]).toBeGreaterThan(0);
    // The owner, from elsewhere, is held as long, and then let through.
    await expect(throttle.begin(ctx, 'Cible@Asso.example', '198.51.100.1')).resolves.toBeUndefined();
    expect(waits).toHaveLength(3);
    await throttle.succeeded(ctx, 'cible@asso.example', '198.51.100.1');
    await throttle.begin(ctx, 'cible@asso.example', '198.51.100.1');
    expect(waits).toHaveLength(3);
  });

  it('caps the hold: a login under attack from everywhere is slowed, never locked', () => {
    expect(loginDelayMs(10)).toBe(0);
    expect(loginDelayMs(1000)).toBe(10_000);
  });

  it('counts an attempt before its password is checked: a burst from one client gets 3 tries', async () => {
    const throttle = new LoginThrottle(async () => undefined);
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () => throttle.begin(ctx, 'rafale@asso.example', '192.0.2.99')),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
  });
});
