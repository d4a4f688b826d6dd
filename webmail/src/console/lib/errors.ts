import i18next from 'i18next';
import { ApiError } from '../../shell/api';
import { describeError } from '../../shell/errors';
import { t } from '../../shell/i18n';

/**
 * What to tell the person about a failed call: the console's own sentence for codes only its
 * screens meet (each says what to do next), else the shell's, else the server's own message.
 */
export function consoleError(e: unknown): string {
  if (e instanceof ApiError) {
    const key = `console:errors.${e.code}`;
    if (i18next.exists(key)) return t(key);
  }
  return describeError(e);
}
