import type { RemoteResponse, ServiceContext } from '../context';
import { errors } from '../errors';
import { publicRemoteHttp } from './remote-http';

/** Raster formats only: an SVG is a document that can carry script. */
const IMAGE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
]);
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/**
 * A remote image a message refers to, fetched by the server for the reader who asked to see it:
 * the sender's server sees the platform, not the reader's address or browser.
 */
export async function fetchRemoteImage(ctx: ServiceContext, url: URL): Promise<RemoteResponse> {
  const unavailable = () =>
    errors.notFound(undefined, {
      fr: 'Cette image distante n’a pas pu être obtenue.',
      en: 'This remote image could not be fetched.',
    });
  let response: RemoteResponse;
  try {
    response = await (ctx.remoteHttp ?? publicRemoteHttp).get(url, {
      maxBytes: MAX_IMAGE_BYTES,
      timeoutMs: 10_000,
      accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9',
    });
  } catch {
    throw unavailable();
  }
  if (response.status !== 200 || !IMAGE_TYPES.has(response.contentType)) throw unavailable();
  return response;
}
