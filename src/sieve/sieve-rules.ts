import { z } from 'zod';

/**
 * What the API lets a mailbox owner set: a vacation reply and simple filters. giroflee turns
 * them into one Sieve script (RFC 5228) that Dovecot runs at delivery, after the inbound gateway
 * encrypted the message: a filter sees the clear headers (From, To, Cc, Subject, List-Id) and
 * nothing of the body, and with a protected subject the Subject it sees is `...`.
 */
const text = (max: number) =>
  z
    .string()
    .max(max)
    // Control characters other than line breaks and tabs have no place in a reply or a header value.
    .refine(
      (s) => ![...s].some((c) => (c < ' ' && !'\t\r\n'.includes(c)) || c === '\u007f'),
      'control characters',
    );
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');

export const vacationSchema = z
  .strictObject({
    subject: text(200).pipe(z.string().trim().min(1)),
    body: text(10_000).pipe(z.string().trim().min(1)),
    // RFC 5230 §4.1: at most one reply per sender in this many days.
    days: z.number().int().min(1).max(30).default(7),
    /** First and last day the reply is sent, inclusive (Dovecot's time zone); open when absent. */
    from: day.optional(),
    until: day.optional(),
  })
  .refine((v) => !v.from || !v.until || v.from <= v.until, { message: 'from after until', path: ['until'] });

export const filterSchema = z
  .strictObject({
    field: z.enum(['from', 'to', 'subject', 'list-id']),
    match: z.enum(['contains', 'is']),
    value: text(200).pipe(z.string().trim().min(1)),
    action: z.enum(['move', 'discard']),
    /** The folder a `move` files into; created if missing. */
    folder: text(200)
      .pipe(z.string().trim().min(1))
      .refine((f) => !/^\/|\/\/|\/$/.test(f), 'folder path')
      .optional(),
  })
  .refine((f) => (f.action === 'move') === (f.folder !== undefined), {
    message: 'a folder with move, and only with move',
    path: ['folder'],
  });

export const sieveRulesSchema = z.strictObject({
  vacation: vacationSchema.nullable(),
  filters: z.array(filterSchema).max(50),
});

export type SieveRules = z.output<typeof sieveRulesSchema>;
export type SieveFilter = z.output<typeof filterSchema>;

export const NO_RULES: SieveRules = { vacation: null, filters: [] };
