import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { RemoteHttp, RemoteResponse } from '../context';

/**
 * giroflee's one door to third-party web servers: another domain's Web Key Directory, an image
 * the webmail reader asked to see. The server fetches so the reader's browser never contacts a
 * third party (nor tells it its IP address), which makes the server the one that must not be
 * turned against its own network: only http(s) on the default ports, only public addresses
 * (checked on every connection, after DNS, so a name that resolves to 127.0.0.1 is refused
 * too), a size and time bound, at most three redirects, each checked again.
 */

export class RemoteHttpError extends Error {
  constructor(readonly reason: 'refused' | 'unreachable' | 'too_large' | 'timeout' | 'redirects') {
    super(`remote fetch ${reason}`);
    this.name = 'RemoteHttpError';
  }
}

// Special-purpose ranges (RFC 6890 and its IPv6 registry): nothing a mail reader needs to reach.
const PRIVATE = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked against the IPv4 ranges by BlockList.
PRIVATE.addAddress('::1', 'ipv6');

/** Whether `address` (an IP literal) is on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return !PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** dns.lookup keeping public addresses only: a connection can reach nothing else, whatever the name. */
export function publicLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const allowed = addresses.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0) {
      return callback(Object.assign(new Error(`${hostname}: no public address`), { code: 'EREFUSED' }), '');
    }
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0].address, allowed[0].family);
  });
}

/** Refuses what may never be fetched, before any connection. */
export function assertFetchable(url: URL): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RemoteHttpError('refused');
  if (url.username || url.password || url.port !== '') throw new RemoteHttpError('refused');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) ? !isPublicAddress(host) : !host.includes('.')) throw new RemoteHttpError('refused');
}

function once(
  url: URL,
  options: { maxBytes: number; accept: string; deadline: number },
): Promise<RemoteResponse & { location?: string }> {
  assertFetchable(url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      {
        lookup: publicLookup as unknown as typeof dns.lookup,
        // No cookie, no referrer, nothing about the reader: a plain request from the platform.
        headers: { accept: options.accept, 'user-agent': 'giroflee' },
        timeout: Math.max(1, options.deadline - Date.now()),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          return resolve({
            status,
            contentType: '',
            body: Buffer.alloc(0),
            location: response.headers.location,
          });
        }
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > options.maxBytes) {
          request.destroy();
          return reject(new RemoteHttpError('too_large'));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            request.destroy();
            reject(new RemoteHttpError('too_large'));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status,
            contentType: String(response.headers['content-type'] ?? '')
              .split(';')[0]
              .trim()
              .toLowerCase(),
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', () => reject(new RemoteHttpError('unreachable')));
      },
    );
    request.on('timeout', () => request.destroy(new RemoteHttpError('timeout')));
    request.on('error', (e) => reject(e instanceof RemoteHttpError ? e : new RemoteHttpError('unreachable')));
  });
}

/** The production RemoteHttp: Node's http and https behind the checks above. */
export const publicRemoteHttp: RemoteHttp = {
  async get(url, options) {
    const deadline = Date.now() + options.timeoutMs;
    let current = url;
    for (let hop = 0; hop <= 3; hop++) {
      const response = await once(current, { ...options, deadline });
      if (!response.location) return response;
      current = new URL(response.location, current);
    }
    throw new RemoteHttpError('redirects');
  },
};
