import { dictionary } from '@zxcvbn-ts/language-common';
import { errors } from '../errors';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

// The ~50 000 most common passwords, shipped with @zxcvbn-ts/language-common.
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  return common;
}

/** Throws a 400 explaining what is wrong with a new password; returns nothing when it is fine. */
export function assertPasswordPolicy(password: string, context: { login?: string } = {}): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw errors.badRequest('password_too_short', {
      fr: `Le mot de passe doit compter au moins ${MIN_PASSWORD_LENGTH} caractères.`,
      en: `The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`,
    });
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw errors.badRequest('password_too_long', {
      fr: `Le mot de passe ne peut dépasser ${MAX_PASSWORD_LENGTH} caractères.`,
      en: `The password may not exceed ${MAX_PASSWORD_LENGTH} characters.`,
    });
  }
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower) || /^(.)\1+$/.test(password)) {
    throw errors.badRequest('password_too_common', {
      fr: 'Ce mot de passe fait partie des plus courants ; choisissez-en un autre (une phrase de plusieurs mots convient bien).',
      en: 'This password is among the most common ones; choose another (a phrase of several words works well).',
    });
  }
  if (
    context.login &&
    lower.includes(context.login.toLowerCase().split('@')[0]) &&
    context.login.length >= 4
  ) {
    throw errors.badRequest('password_contains_login', {
      fr: 'Le mot de passe ne doit pas contenir l’identifiant.',
      en: 'The password must not contain the login.',
    });
  }
}
