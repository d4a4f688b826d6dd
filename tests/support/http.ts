import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/api/app';
import type { Actor } from '../../src/auth/actor';
import { createSession } from '../../src/auth/sessions';
import { insertApiToken } from '../../src/auth/api-tokens';
import type { AppContext } from '../../src/context';
import { closeWebmail } from '../../src/mail/webmail-service';

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestClient {
  url: string;
  /** Calls the API; `as` logs in as that actor (session cookie, or Bearer for a token actor's collective). */
  request<T = any>(
    method: string,
    path: string,
    opts?: { as?: Actor; body?: unknown; headers?: Record<string, string>; raw?: string },
  ): Promise<TestResponse<T>>;
  close(): Promise<void>;
}

/** The real express app on a free loopback port. */
export async function startTestApp(ctx: AppContext): Promise<TestClient> {
  const server = http.createServer(createApp(ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const credentials = new Map<string, Record<string, string>>();

  async function credentialsFor(actor: Actor): Promise<Record<string, string>> {
    if (actor.type === 'system' || actor.type === 'recovery') {
      throw new Error(`a ${actor.type} actor has no HTTP credentials`);
    }
    const key = `${actor.type}:${actor.id}`;
    let headers = credentials.get(key);
    if (headers) return headers;
    if (actor.type === 'account' || actor.type === 'mailbox') {
      const subject = actor.type === 'account' ? { accountId: actor.id } : { mailboxId: actor.id };
      const { token } = await createSession(ctx, subject, 24 * 365);
      headers = { cookie: `giroflee_session=${token}`, 'x-giroflee-csrf': '1' };
    } else {
      const { token } = await insertApiToken(ctx, {
        collectiveId: actor.collectiveId,
        name: actor.name,
        createdBy: null,
      });
      headers = { authorization: `Bearer ${token}` };
    }
    credentials.set(key, headers);
    return headers;
  }

  return {
    url,
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = {
        ...(opts.as ? await credentialsFor(opts.as) : {}),
        ...opts.headers,
      };
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON (a zone snippet, a policy file): the text is the body.
      }
      return { status: res.status, headers: res.headers, body: parsed as any, text };
    },
    async close() {
      await closeWebmail(ctx);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
