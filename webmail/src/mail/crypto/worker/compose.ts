import * as openpgp from 'openpgp';
import {
  clearEntity,
  clearMessage,
  pgpMimeMessage,
  protectedEntity,
  signedMessage,
  type MessageFields,
} from '../mime-writer';
import type { Composed, Draft } from '../protocol';
import { ownKey } from './keys';

async function encryptTo(
  entity: Uint8Array,
  encryptionKeys: openpgp.Key[],
  signingKey: openpgp.PrivateKey | null,
): Promise<string> {
  return openpgp.encrypt({
    message: await openpgp.createMessage({ binary: entity }),
    encryptionKeys,
    ...(signingKey ? { signingKeys: signingKey } : {}),
    format: 'armored',
  }) as Promise<string>;
}

/**
 * RFC 3156 §5: a detached signature of the entity by the mailbox's own key, and the hash it used
 * (the `micalg` parameter, RFC 3156 §5: "pgp-" and the hash's lowercase name).
 */
async function detachedSignature(
  entity: Uint8Array,
  signingKey: openpgp.PrivateKey,
): Promise<{ armored: string; micalg: string }> {
  const armored = (await openpgp.sign({
    message: await openpgp.createMessage({ binary: entity }),
    signingKeys: signingKey,
    detached: true,
    format: 'armored',
  })) as string;
  const [packet] = (await openpgp.readSignature({ armoredSignature: armored })).packets;
  const hash = Object.entries(openpgp.enums.hash).find(([, id]) => id === packet.hashAlgorithm)?.[0];
  return { armored, micalg: `pgp-${(hash ?? 'sha256').toLowerCase()}` };
}

/**
 * The two forms of what the person wrote: the message that leaves (in clear, signed when the
 * person chose to sign, or PGP/MIME to every recipient's key plus the writer's own, signed), and the mailbox's own copy, always
 * encrypted to its key when it has one, with the Bcc kept inside where only the owner reads it.
 */
export async function compose(args: {
  draft: Draft;
  recipientKeys: string[] | null;
  protectSubject: boolean;
  sign: boolean;
}): Promise<Composed> {
  const { draft } = args;
  const fields: MessageFields = { ...draft, date: new Date() };
  const own = await ownKey();
  const copy = own
    ? pgpMimeMessage(
        fields,
        await encryptTo(protectedEntity(fields, draft.text, draft.attachments, true), [own.toPublic()], own),
        { protectSubject: args.protectSubject },
      )
    : clearMessage(fields, draft.text, draft.attachments, true);
  let outgoing: Uint8Array;
  if (args.recipientKeys) {
    const keys = await Promise.all(
      args.recipientKeys.map((armoredKeys) => openpgp.readKeys({ armoredKeys })),
    );
    const to = [...keys.flat(), ...(own ? [own.toPublic()] : [])];
    outgoing = pgpMimeMessage(
      fields,
      await encryptTo(protectedEntity(fields, draft.text, draft.attachments, false), to, own),
      { protectSubject: args.protectSubject, bcc: true },
    );
  } else if (args.sign && own) {
    // The key signs here, in the Worker: only the signature leaves it.
    const entity = clearEntity(draft.text, draft.attachments);
    outgoing = signedMessage(fields, entity, await detachedSignature(entity, own), true);
  } else {
    outgoing = clearMessage(fields, draft.text, draft.attachments, true);
  }
  return { outgoing, copy };
}

/** The webmail's settings, encrypted to the mailbox's own key (clear when it has none). */
export async function sealPreferences(json: string): Promise<{ blob: string }> {
  const own = await ownKey();
  if (!own) return { blob: json };
  return { blob: await encryptTo(new TextEncoder().encode(json), [own.toPublic()], null) };
}

export async function openPreferences(blob: string, keys: openpgp.PrivateKey[]): Promise<{ json: string }> {
  if (!blob.startsWith('-----BEGIN PGP MESSAGE-----')) return { json: blob };
  const { data } = await openpgp.decrypt({
    message: await openpgp.readMessage({ armoredMessage: blob }),
    decryptionKeys: keys,
    format: 'binary',
  });
  return { json: new TextDecoder().decode(data as Uint8Array) };
}
