import { execFileSync } from 'node:child_process';
import { postfixQueue } from '../../src/health/platform-health';
import { privatePaths } from '../../src/mailstack/settings';
import { createTestContext, TestContext } from '../support/context';
import { makeRacine } from '../support/factories';
import { startTestMailstack, TestMailstack, waitUntilDeferred } from '../support/mailstack';
import { REAL_STACK_TEST_MS } from '../support/wait-until';

/**
 * What a racine sees of Postfix's queue, read from a real Postfix: mail for the outside that the
 * private stack keeps (no relay host) is counted as deferred, without its addresses.
 */
describe('Postfix queue for racines', () => {
  jest.setTimeout(REAL_STACK_TEST_MS);
  let ctx: TestContext;
  let stack: TestMailstack;

  beforeAll(async () => {
    ctx = await createTestContext();
    stack = await startTestMailstack(ctx.databaseUrl);
  });
  afterAll(async () => {
    await stack?.stop();
    await ctx?.destroy();
  });

  it('counts waiting messages by queue, with the oldest arrival, and no address', async () => {
    const { actor } = await makeRacine(ctx);
    const configDir = privatePaths(stack.dir).postfixConfigDir;
    const empty = await postfixQueue({ ...ctx, actor }, { postfixConfigDir: configDir });
    expect(empty).toMatchObject({ status: 'ok', facts: { total: 0, oldestArrival: null } });

    execFileSync(
      '/usr/sbin/sendmail',
      ['-C', configDir, '-f', 'sender@queue.example', 'someone@far-away.example'],
      {
        input: 'Subject: waits\n\nfor a relay\n',
      },
    );
    await waitUntilDeferred(stack, 'the message deferred', 1);
    const queue = await postfixQueue({ ...ctx, actor }, { postfixConfigDir: configDir });
    expect(queue).toMatchObject({
      id: 'postfix',
      status: 'warning',
      facts: { total: 1, byQueue: { deferred: 1 } },
    });
    expect(new Date(queue.facts.oldestArrival as string).getTime()).toBeGreaterThan(0);
    expect(JSON.stringify(queue)).not.toContain('far-away.example');
    expect(queue.message?.en).toContain('1 message(s) waiting for another try');
  });
});
