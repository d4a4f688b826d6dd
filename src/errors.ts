import type { z } from 'zod';

/**
 * The one error type of giroflee. Services throw it; the API's error handler turns it into
 * `{"error":{"code","message","details"}}` with its HTTP status; the CLI prints its message.
 * Messages are in French and English because they reach people.
 */
export interface LocalizedText {
  fr: string;
  en: string;
}

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

/** A schema's refusal as the 400 the API and the CLI give (`in` names the part of a request). */
export function validationError(error: z.ZodError, where?: string): AppError {
  return errors.validation({
    ...(where ? { in: where } : {}),
    issues: error.issues.map((i) => ({
      path: i.path.join('.'),
      code: (i as { params?: { code?: string } }).params?.code ?? i.code,
      message: i.message,
      fr: (i as { params?: { fr?: string } }).params?.fr,
    })),
  });
}
