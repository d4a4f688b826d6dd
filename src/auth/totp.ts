import { authenticator } from 'otplib';
import type { ServiceContext } from '../context';
import type { Keyring } from '../encryption/master-key';
import { envelopeContext, unwrapSecret, wrapSecret } from '../encryption/envelope';

const STEP_MS = 30_000;

export function newTotpSecret(): string {
  return authenticator.generateSecret(20);
}

export function totpUri(secret: string, email: string): string {
  return authenticator.keyuri(email, 'giroflee', secret);
}

export function wrapTotpSecret(keyring: Keyring, accountId: string, secret: string): string {
  return wrapSecret(keyring, secret, envelopeContext('accounts', 'totp_secret', accountId));
}

export function unwrapTotpSecret(keyring: Keyring, accountId: string, envelope: string): string {
  return unwrapSecret(keyring, envelope, envelopeContext('accounts', 'totp_secret', accountId)).toString(
    'utf8',
  );
}

/** The RFC 6238 time step `code` is valid for at `now`, one step of tolerance either way; or null. */
export function totpStep(secret: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = authenticator.clone({ epoch: now.getTime(), window: 1 }).checkDelta(code, secret);
  return delta === null ? null : Math.floor(now.getTime() / STEP_MS) + delta;
}

/**
 * Checks a code and spends its time step: RFC 6238 §5.2 says a verifier must not accept the
 * second attempt of a valid code, so a code seen over a shoulder or replayed from a phished page
 * is worthless once used. Atomic: of two requests with one code, one wins. `totp_steps` is
 * written here and nowhere else.
 */
export async function checkTotp(
  ctx: ServiceContext,
  accountId: string,
  secret: string,
  code: string,
): Promise<boolean> {
  const step = totpStep(secret, code, ctx.now());
  if (step === null) return false;
  const { rows } = await ctx.db.raw(
    `INSERT INTO totp_steps (account_id, step) VALUES (?, ?)
     ON CONFLICT (account_id) DO UPDATE SET step = EXCLUDED.step WHERE totp_steps.step < EXCLUDED.step
     RETURNING step`,
    [accountId, step],
  );
  return rows.length > 0;
}
