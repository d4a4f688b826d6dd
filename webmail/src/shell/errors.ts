import i18next from 'i18next';
import { ApiError } from './api';
import { t } from './i18n';

/**
 * What to tell the person about a failed call, in their language: the catalog's text for the
 * error code when it has one (with what to do next), else the server's own message, which the
 * server wrote in the language the request asked for (Accept-Language).
 */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'rate_limited') {
      const seconds = (e.details as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
      if (seconds) return t('shell:errors.rate_limited_for', { count: Math.ceil(seconds / 60) });
    }
    const key = `shell:errors.${e.code}`;
    if (i18next.exists(key)) return t(key);
    if (e.serverMessage) return e.serverMessage;
  }
  return t('shell:errors.unexpected');
}

/** Per-field messages of a `validation_failed` error, keyed by the field's path. */
export function fieldErrors(e: unknown, language: 'fr' | 'en'): Record<string, string> {
  if (!(e instanceof ApiError) || e.code !== 'validation_failed') return {};
  const issues = (e.details as { issues?: Array<{ path: string; message: string; fr?: string }> } | null)
    ?.issues;
  const out: Record<string, string> = {};
  for (const issue of issues ?? []) {
    out[issue.path] ??= (language === 'fr' && issue.fr) || issue.message;
  }
  return out;
}
