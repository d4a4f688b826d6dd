import { currentLanguage } from './i18n';

/** The API's error envelope, `{"error":{"code","message","details"}}`, as an exception. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The server's own text, already in the language the request asked for. */
    readonly serverMessage: string,
    readonly details: unknown = null,
  ) {
    super(serverMessage || code);
    this.name = 'ApiError';
  }
}

type Listener = (e: ApiError) => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called when a request made with a session is refused as unauthenticated: the session ended. */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export interface RequestOptions {
  body?: unknown;
  /** A body sent as it is (a message, message/rfc822), instead of JSON. */
  raw?: Uint8Array;
  contentType?: string;
  signal?: AbortSignal;
  /** Do not treat a 401 as the end of the session (the login form itself expects them). */
  expectUnauthenticated?: boolean;
  /** Another representation than JSON (a zone snippet: `text/dns`). */
  accept?: string;
}

const SAFE = new Set(['GET', 'HEAD']);

/** A fetch of the API with the session cookie. The raw Response, for streams and non-JSON bodies. */
export async function apiRaw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {
    accept: options.accept ?? 'application/json',
    'accept-language': currentLanguage(),
  };
  // The API refuses a cookie-authenticated change without this header (CSRF defence).
  if (!SAFE.has(method)) headers['x-giroflee-csrf'] = '1';
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  } else if (options.raw) {
    headers['content-type'] = options.contentType ?? 'application/octet-stream';
    body = options.raw as Uint8Array<ArrayBuffer>;
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '');
  }
  if (!res.ok) {
    const error = await errorFrom(res);
    // Only `unauthenticated` means the session is gone; a wrong current password is a 401 too.
    if (error.code === 'unauthenticated' && !options.expectUnauthenticated) {
      for (const listener of unauthenticatedListeners) listener(error);
    }
    throw error;
  }
  return res;
}

/** Calls the API and returns its JSON body (undefined for 204). */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const res = await apiRaw(method, path, options);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

async function errorFrom(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code) {
      return new ApiError(res.status, body.error.code, body.error.message ?? '', body.error.details ?? null);
    }
  } catch {
    // Not the API's envelope (a proxy's error page): fall through to a generic error.
  }
  return new ApiError(res.status, res.status >= 500 ? 'unavailable' : 'http_error', '');
}
