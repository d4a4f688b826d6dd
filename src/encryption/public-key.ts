import * as openpgp from 'openpgp';
import { errors } from '../errors';

const badKey = (code: string, fr: string, en: string, details?: unknown) =>
  errors.badRequest(code, { fr, en }, details);

/**
 * Checks an uploaded public key: readable, public only, valid now (not expired, not revoked),
 * with a subkey able to encrypt. Classic v4 and RFC 9580 (v6, X25519) keys are both accepted.
 */
export async function checkPublicKey(armored: string, now: Date): Promise<openpgp.PublicKey> {
  let key: openpgp.Key;
  try {
    key = await openpgp.readKey({ armoredKey: armored });
  } catch {
    throw badKey(
      'public_key_unreadable',
      'Clé publique OpenPGP illisible.',
      'Unreadable OpenPGP public key.',
    );
  }
  if (key.isPrivate()) {
    throw badKey(
      'public_key_is_private',
      'C’est une clé privée : envoyez seulement la clé publique. giroflee ne garde jamais votre clé privée.',
      'This is a private key: send the public key only. giroflee never keeps your private key.',
    );
  }
  try {
    await key.verifyPrimaryKey(now);
  } catch {
    throw badKey(
      'public_key_invalid',
      'Cette clé est expirée, révoquée ou mal signée.',
      'This key is expired, revoked or badly signed.',
    );
  }
  try {
    await key.getEncryptionKey(undefined, now);
  } catch {
    throw badKey(
      'public_key_cannot_encrypt',
      'Cette clé n’a aucune sous-clé de chiffrement valide.',
      'This key has no valid encryption subkey.',
    );
  }
  return key as openpgp.PublicKey;
}
