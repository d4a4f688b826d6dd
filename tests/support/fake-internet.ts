import type { RemoteHttp, RemoteResponse } from '../../src/context';

/**
 * Third-party web servers (another domain's WKD, a sender's image host), in memory: the only
 * stand-in the mail tests use for the internet. Pages are keyed by URL without the query.
 */
export interface FakeInternet extends RemoteHttp {
  serve(url: string, response: Omit<Partial<RemoteResponse>, 'body'> & { body: Buffer | string }): void;
  /** Every URL asked for, in order. */
  requested: string[];
}

export function fakeInternet(): FakeInternet {
  const pages = new Map<string, RemoteResponse>();
  const requested: string[] = [];
  return {
    requested,
    serve(url, response) {
      pages.set(url.split('?')[0], {
        status: response.status ?? 200,
        contentType: response.contentType ?? 'application/octet-stream',
        body: Buffer.from(response.body),
      });
    },
    async get(url) {
      requested.push(url.toString());
      const page = pages.get(`${url.origin}${url.pathname}`);
      return page ?? { status: 404, contentType: 'text/html', body: Buffer.from('not found') };
    },
  };
}
