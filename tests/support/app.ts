import type { Config } from '../../src/config';
import { createTestContext, TestContext } from './context';
import { startTestApp, TestClient } from './http';

/**
 * A fresh database and the real app on a free port for one describe block: registers its own
 * beforeAll/afterAll, so `app.ctx` and `app.client` are ready inside the tests.
 */
export function useTestApp(overrides: Partial<Config> = {}): {
  readonly ctx: TestContext;
  readonly client: TestClient;
} {
  let ctx: TestContext | undefined;
  let client: TestClient | undefined;
  beforeAll(async () => {
    ctx = await createTestContext(overrides);
    client = await startTestApp(ctx);
  });
  afterAll(async () => {
    await client?.close();
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
