import crypto from 'node:crypto';
import type { Keyring } from '../encryption/master-key';

/**
 * The key the browser encrypts its unlocked mailbox key under before keeping it in
 * sessionStorage, so a reload does not ask for the password. Derived from the master key and the
 * session's id: only a request carrying that live session gets it, the database holds nothing
 * new, and it dies with the session (logout, expiry, password change).
 */
export function sessionBlobKey(keyring: Keyring, sessionId: string): Buffer {
  return crypto
    .createHmac('sha256', keyring.current.key)
    .update(`giroflee webmail session blob v1\0${sessionId}`)
    .digest();
}
