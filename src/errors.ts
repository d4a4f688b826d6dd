import { z } from 'zod';

/**
 * The one error type of giroflee. Services throw it; the API's error handler turns it into
 * `{"error":{"code","message","details"}}` with its HTTP status; the CLI prints its message.
 * Messages are in French and English because they reach people.
 */
export interface LocalizedText {
  fr: string;
  en: string;
}

/** The languages people read giroflee in; French is the default. */
export type Language = keyof LocalizedText;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly text: LocalizedText,
    readonly details?: unknown,
  ) {
    super(text.en);
    this.name = 'AppError';
  }
}

const make =
  (status: number, code: string, fr: string, en: string) =>
  (details?: unknown, text?: Partial<LocalizedText>): AppError =>
    new AppError(status, code, { fr: text?.fr ?? fr, en: text?.en ?? en }, details);

export const errors = {
  badRequest: (code: string, text: LocalizedText, details?: unknown) =>
    new AppError(400, code, text, details),
  validation: make(400, 'validation_failed', 'Requête invalide.', 'Invalid request.'),
  unauthenticated: make(401, 'unauthenticated', 'Connexion requise.', 'Authentication required.'),
  invalidCredentials: make(
    401,
    'invalid_credentials',
    'Identifiant ou mot de passe incorrect.',
    'Wrong login or password.',
  ),
  totpRequired: make(
    401,
    'totp_required',
    'Saisissez le code de votre application d’authentification.',
    'Enter the code from your authenticator app.',
  ),
  passwordChangeRequired: make(
    403,
    'password_change_required',
    'Changez d’abord votre mot de passe à usage unique (POST /api/v1/me/password).',
    'Change your one-time password first (POST /api/v1/me/password).',
  ),
  /** A racine suspended the collective: its people cannot log in until a racine lifts it. */
  collectiveSuspended: make(
    403,
    'collective_suspended',
    'Votre collectif est suspendu : vous ne pouvez pas vous connecter. Le courrier reçu est conservé ; écrivez aux racines de la plateforme pour la lever.',
    'Your collective is suspended: you cannot log in. Mail received is kept; write to the platform’s racines to lift it.',
  ),
  forbidden: make(403, 'forbidden', 'Action non autorisée.', 'This action is not allowed.'),
  notFound: make(404, 'not_found', 'Introuvable.', 'Not found.'),
  conflict: (code: string, text: LocalizedText, details?: unknown) => new AppError(409, code, text, details),
  tooLarge: make(413, 'payload_too_large', 'Requête trop volumineuse.', 'Request body too large.'),
  rateLimited: make(
    429,
    'rate_limited',
    'Trop de tentatives ; réessayez plus tard.',
    'Too many attempts; try again later.',
  ),
  unavailable: make(
    503,
    'unavailable',
    'Service momentanément indisponible.',
    'Service temporarily unavailable.',
  ),
};

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** The French of a zod issue: the schema's own (`params.fr`), else zod's French wording. */
function frenchOf(issue: z.core.$ZodIssue): string {
  const own = (issue as { params?: { fr?: string } }).params?.fr;
  if (own) return own;
  const text = z.locales.fr().localeError(issue as unknown as z.core.$ZodRawIssue);
  return (typeof text === 'string' ? text : text?.message) ?? issue.message;
}

/**
 * A schema's refusal as the 400 the API and the CLI give (`in` names the part of a request).
 * Each issue's message is kept in both languages; the presenter picks one (presentError). The
 * refused value itself is never copied: it may be a password.
 */
export function validationError(error: z.ZodError, where?: string): AppError {
  return errors.validation({
    ...(where ? { in: where } : {}),
    issues: error.issues.map((i) => ({
      path: i.path.join('.'),
      code: (i as { params?: { code?: string } }).params?.code ?? i.code,
      message: { fr: frenchOf(i), en: i.message },
    })),
  });
}

const isLocalizedText = (v: unknown): v is LocalizedText =>
  typeof v === 'object' &&
  v !== null &&
  Object.keys(v).length === 2 &&
  typeof (v as LocalizedText).fr === 'string' &&
  typeof (v as LocalizedText).en === 'string';

/** Details as one reader sees them: every `{fr, en}` text inside becomes the text in `lang`. */
export function localizeDetails(value: unknown, lang: Language): unknown {
  if (isLocalizedText(value)) return value[lang];
  if (Array.isArray(value)) return value.map((v) => localizeDetails(v, lang));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, localizeDetails(v, lang)]));
  }
  return value;
}
