import { z } from 'zod';

/** Why a name or address was refused, in both languages, with a stable code. */
export interface NameProblem {
  code: string;
  fr: string;
  en: string;
}

export type CheckResult<T> = { ok: true; value: T } | { ok: false; problem: NameProblem };

/**
 * A zod schema from a check function: the parsed value on success; on failure an issue that
 * carries the problem's code and French text, which the API's error details pass on.
 */
export function checkedSchema<T>(check: (value: string) => CheckResult<T>, maxLength = 1000) {
  return z
    .string()
    .max(maxLength)
    .transform((value, ctx) => {
      const r = check(value);
      if (!r.ok) {
        ctx.addIssue({
          code: 'custom',
          message: r.problem.en,
          params: { code: r.problem.code, fr: r.problem.fr },
        });
        return z.NEVER;
      }
      return r.value;
    });
}
