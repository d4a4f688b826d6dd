import * as openpgp from 'openpgp';
import { errors } from '../errors';

const badKey = (code: string, fr: string, en: string, details?: unknown) =>
  errors.badRequest(code, { fr, en }, details);

/**
 * Checks an uploaded public key: readable, public only, valid now (not expired, not revoked),
 * with a valid user ID naming the mailbox's own address (so correspondents who look the key up
 * find the right one, and a key made for someone else is not taken by mistake), and a subkey
 * able to encrypt. Classic v4 and RFC 9580 (v6, X25519) keys are both accepted.
 */
export async function checkPublicKey(
  armored: string,
  now: Date,
  address: string,
): Promise<openpgp.PublicKey> {
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
  const emails = key.users
    .map((u) => u.userID?.email)
    .filter((e): e is string => Boolean(e) && e!.toLowerCase() === address.toLowerCase());
  const named = await Promise.all(
    emails.map((email) =>
      key.getPrimaryUser(now, { email }).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (!named.includes(true)) {
    throw badKey(
      'public_key_wrong_address',
      `Cette clé ne porte pas l’adresse ${address} dans une identité valide : ajoutez-la à la clé (gpg --quick-add-uid) puis envoyez-la de nouveau.`,
      `This key has no valid user ID with the address ${address}: add it to the key (gpg --quick-add-uid), then upload it again.`,
      { address },
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
