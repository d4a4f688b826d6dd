import { ConfigOverrides, createTestContext, TestContext } from './context';
import { startTestApp, TestClient } from './http';

export interface TestAppOptions {
  config?: ConfigOverrides;
  /**
   * Runs on the fresh context before the app starts (a DNS world, a captured notifier…); what
   * it returns is called after the app stops.
   */
  setup?: (ctx: TestContext) => Promise<(() => Promise<void>) | void>;
}

/**
 * A fresh database and the real app on a free port for one describe block: registers its own
 * beforeAll/afterAll, so `app.ctx` and `app.client` are ready inside the tests.
 */
export function useTestApp(options: TestAppOptions = {}): {
  readonly ctx: TestContext;
  readonly client: TestClient;
} {
  let ctx: TestContext | undefined;
  let client: TestClient | undefined;
  let teardown: (() => Promise<void>) | void;
  beforeAll(async () => {
    ctx = await createTestContext(options.config);
    teardown = await options.setup?.(ctx);
    client = await startTestApp(ctx);
  });
  afterAll(async () => {
    await client?.close();
    await teardown?.();
    await ctx?.destroy();
  });
  const ready = <T>(v: T | undefined): T => {
    if (!v) throw new Error('useTestApp: used outside a test (before beforeAll ran)');
    return v;
  };
  return {
    get ctx() {
      return ready(ctx);
    },
    get client() {
      return ready(client);
    },
  };
}
