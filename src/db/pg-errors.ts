import { z } from 'zod';
import {
  AppError,
  errors,
  isAppError,
  Language,
  LocalizedText,
  localizeDetails,
  validationError,
} from '../errors';

/**
 * Maps PostgreSQL constraint violations to domain errors, by constraint name, in one place.
 * Services let these errors through; the error handler calls `mapDatabaseError`.
 */
const byConstraint: Record<string, { code: string; text: LocalizedText; status?: number }> = {
  collectives_slug_unique: {
    code: 'collective_exists',
    text: { fr: 'Un collectif porte déjà ce nom court.', en: 'A collective with this slug already exists.' },
  },
  accounts_email_unique: {
    code: 'account_exists',
    text: {
      fr: 'Un compte existe déjà avec cette adresse.',
      en: 'An account with this address already exists.',
    },
  },
  memberships_pkey: {
    code: 'already_member',
    text: {
      fr: 'Ce compte est déjà membre du collectif.',
      en: 'This account is already a member of the collective.',
    },
  },
  mailboxes_address_unique: {
    code: 'address_taken',
    text: { fr: 'Cette adresse est déjà utilisée.', en: 'This address is already in use.' },
  },
  aliases_source_unique: {
    code: 'address_taken',
    text: { fr: 'Cette adresse est déjà utilisée.', en: 'This address is already in use.' },
  },
  domains_collective_fk: {
    code: 'collective_has_domains',
    text: {
      fr: 'Le collectif a encore des domaines ; supprimez-les d’abord.',
      en: 'The collective still has domains; delete them first.',
    },
  },
};

interface PgError {
  code?: string;
  constraint?: string;
}

export function mapDatabaseError(e: unknown): AppError | undefined {
  const pg = e as PgError;
  if (!pg || typeof pg.code !== 'string') return undefined;
  const known = pg.constraint ? byConstraint[pg.constraint] : undefined;
  if ((pg.code === '23505' || pg.code === '23503') && known) {
    return errors.conflict(known.code, known.text);
  }
  if (pg.code === '23505') {
    return errors.conflict('conflict', { fr: 'Cet élément existe déjà.', en: 'This item already exists.' });
  }
  if (pg.code === '23503') {
    return errors.conflict('in_use', {
      fr: 'Cet élément est encore utilisé ailleurs.',
      en: 'This item is still referenced elsewhere.',
    });
  }
  // 22021: a byte sequence the database's encoding refuses (NUL above all): bad input, not a fault.
  if (pg.code === '22021') {
    return errors.badRequest('invalid_text', {
      fr: 'Le texte contient un caractère interdit (NUL).',
      en: 'The text contains a forbidden character (NUL).',
    });
  }
  if (pg.code === '23514') {
    return errors.validation({ constraint: pg.constraint });
  }
  return undefined;
}

/** The one normalisation of errors people see, shared by the API's error handler and the CLI. */
export function toAppError(e: unknown): AppError | undefined {
  if (isAppError(e)) return e;
  if (e instanceof z.ZodError) return validationError(e);
  return mapDatabaseError(e);
}

/** An error as a person reads it: `{code, message, details}` in one language, never a stack. */
export interface PresentedError {
  status: number;
  code: string;
  message: string;
  details: unknown;
}

/**
 * What the API answers and the CLI prints for any error, in `lang`: a known error with its
 * code, message and details (their texts in `lang` too); anything else a bare 500 "internal",
 * whose own message is shown only where `showInternal` (development, or the racine at the CLI).
 */
export function presentError(e: unknown, lang: Language, showInternal: boolean): PresentedError {
  const known = toAppError(e);
  if (known) {
    return {
      status: known.status,
      code: known.code,
      message: known.text[lang],
      details: localizeDetails(known.details ?? null, lang),
    };
  }
  return {
    status: 500,
    code: 'internal',
    message: lang === 'en' ? 'Internal error.' : 'Erreur interne.',
    details: showInternal ? { message: String((e as Error)?.message ?? e) } : null,
  };
}

/** Registers extra constraint mappings (used by modules that add their own tables). */
export function registerConstraint(name: string, code: string, text: LocalizedText): void {
  byConstraint[name] = { code, text };
}
