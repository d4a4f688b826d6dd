import type { Language } from '../../shell/i18n';
import type { Localized } from './types';

const dateTimes = new Map<string, Intl.DateTimeFormat>();

/** A date and time in the person's language and time zone ("29 nov. 2026, 14:05"). */
export function formatDateTime(value: string | Date | null | undefined, language: Language): string {
  if (!value) return '';
  const key = `${language}|datetime`;
  let f = dateTimes.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' });
    dateTimes.set(key, f);
  }
  return f.format(new Date(value));
}

export function formatDate(value: string | Date | null | undefined, language: Language): string {
  if (!value) return '';
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium' }).format(new Date(value));
}

/** "il y a 3 minutes" / "3 minutes ago", from the browser's clock. */
export function formatRelative(value: string | Date, language: Language, now = Date.now()): string {
  const seconds = Math.round((new Date(value).getTime() - now) / 1000);
  const f = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return f.format(seconds, 'second');
  if (abs < 3600) return f.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return f.format(Math.round(seconds / 3600), 'hour');
  return f.format(Math.round(seconds / 86400), 'day');
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Bytes in binary steps with the language's own unit names ("1 Go" / "1 GB"). */
export function formatBytes(bytes: number, language: Language): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: value < 10 && unit > 0 ? 1 : 0,
  }).format(value);
}

export function formatNumber(value: number, language: Language): string {
  return new Intl.NumberFormat(language).format(value);
}

/** The server's text in the person's language. */
export const localized = (text: Localized, language: Language): string => text[language];
