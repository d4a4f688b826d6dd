import { z } from 'zod';

// C0 controls (NUL, tabs, line breaks…), DEL and C1 controls: a name is one line of text, and
// PostgreSQL cannot store NUL at all.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A name people read (collective, display name, token): trimmed, 1 to `max` characters, one line. */
export const displayTextSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !CONTROL.test(v), {
      message: 'Control characters (NUL, line breaks, tabs…) are not allowed.',
      params: {
        code: 'text_control_characters',
        fr: 'Les caractères de contrôle (NUL, retours à la ligne, tabulations…) sont interdits.',
      },
    });
