import { errors } from '../errors';

/**
 * An opaque cursor for keyset paging: the sort key of the last row shown, so the next page is
 * "after it" whatever was added or removed meanwhile.
 */
export function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof v.after === 'string') return v.after;
  } catch {
    // fall through to the error below
  }
  throw errors.badRequest('invalid_cursor', {
    fr: 'Curseur de pagination invalide.',
    en: 'Invalid pagination cursor.',
  });
}

/** `text` for a LIKE pattern, its wildcards taken literally. */
export const likeLiteral = (text: string) => text.replace(/[\\%_]/g, '\\$&');
