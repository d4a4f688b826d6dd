import { authenticator } from 'otplib';
import type { Keyring } from '../encryption/master-key';
import { envelopeContext, unwrapSecret, wrapSecret } from '../encryption/envelope';

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

/** RFC 6238 code check at `now`, one 30 s step of tolerance either way for clock drift. */
export function checkTotp(secret: string, code: string, now: Date): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  return authenticator.clone({ epoch: now.getTime(), window: 1 }).check(code, secret);
}
