import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { errors } from '../errors';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;
/**
 * zxcvbn's score 3, "safely unguessable" (about 10^8 guesses and more): a common password with
 * digits or symbols added ("dragon12345678", "Password123456") scores 1 and is refused, a
 * phrase of a few words passes.
 */
const MIN_SCORE = 3;
// zxcvbn's cost grows with the length; beyond this, a long password is strong anyway.
const ESTIMATED_PREFIX = 100;

let estimator: ZxcvbnFactory | undefined;
const strength = () =>
  (estimator ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs }));

/**
 * The words of the person's own data (login, address, domain, names): zxcvbn treats them as
 * a dictionary of their own, so "asso.example2026" for a mailbox at asso.example is weak.
 */
function userWords(inputs: Array<string | null | undefined>): string[] {
  const words = new Set<string>();
  for (const input of inputs) {
    if (!input) continue;
    const lower = input.toLowerCase();
    words.add(lower);
    for (const part of lower.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  }
  return [...words];
}

/**
 * Throws a 400 explaining what is wrong with a new password; returns nothing when it is fine.
 * `login` and `inputs` are what the person's password must not be built from.
 */
export function assertPasswordPolicy(
  password: string,
  context: { login?: string; inputs?: Array<string | null | undefined> } = {},
): void {
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
  const local = context.login?.toLowerCase().split('@')[0];
  if (local && local.length >= 4 && password.toLowerCase().includes(local)) {
    throw errors.badRequest('password_contains_login', {
      fr: 'Le mot de passe ne doit pas contenir l’identifiant.',
      en: 'The password must not contain the login.',
    });
  }
  const result = strength().check(
    [...password].slice(0, ESTIMATED_PREFIX).join(''),
    userWords([context.login, ...(context.inputs ?? [])]),
  );
  if (result.score < MIN_SCORE) {
    throw errors.badRequest(
      'password_too_weak',
      {
        fr: 'Ce mot de passe se devine trop facilement (un mot courant, des chiffres, un motif du clavier ou vos propres noms) ; choisissez-en un autre, par exemple une phrase de plusieurs mots.',
        en: 'This password is too easy to guess (a common word, digits, a keyboard pattern or your own names); choose another, for example a phrase of several words.',
      },
      { score: result.score, minimum: MIN_SCORE, warning: result.feedback.warning },
    );
  }
}
