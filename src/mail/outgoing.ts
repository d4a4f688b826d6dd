import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { Endpoint } from '../config';
import { fieldValue, isAlreadyEncrypted, splitMessage } from '../encryption/pgp-mime';
import { errors } from '../errors';
import { masterLogin, type MasterCredentials } from '../mailstack/master-user';
import type { Identity } from './identities';

const addressesOf = (values: string[]): string[] =>
  addressparser(values.join(', '), { flatten: true })
    .map((a) => (a as { address?: string }).address?.trim().toLowerCase() ?? '')
    .filter(Boolean);

export interface Outgoing {
  /** The identity in From, which is also the envelope sender. */
  from: string;
  /** To, Cc and Bcc: the envelope recipients (RFC 5322 §3.6.3, as `sendmail -t` reads them). */
  recipients: string[];
  /** The message without its Bcc field, as it leaves. */
  raw: Buffer;
}

/**
 * Checks a message written in the browser before it is submitted: one From that is one of the
 * mailbox's identities, at least one recipient, and no Bcc left in the header (its recipients
 * are read, then the field is removed, so they stay hidden from the others).
 */
export function prepareOutgoing(raw: Buffer, identities: Identity[], maxBytes: number): Outgoing {
  if (raw.length > maxBytes) throw errors.tooLarge({ maxBytes });
  const message = splitMessage(raw);
  const values = (name: string) => message.fields.filter((f) => f.name === name).map(fieldValue);
  const from = addressesOf(values('from'));
  if (from.length !== 1 || !identities.some((i) => i.address === from[0])) {
    throw errors.badRequest('sender_not_allowed', {
      fr: 'L’expéditeur doit être l’adresse de la boîte ou l’un de ses alias.',
      en: 'The sender must be the mailbox’s address or one of its aliases.',
    });
  }
  const recipients = [...new Set(addressesOf([...values('to'), ...values('cc'), ...values('bcc')]))];
  if (recipients.length === 0) {
    throw errors.badRequest('no_recipient', {
      fr: 'Ajoutez au moins un destinataire.',
      en: 'Add at least one recipient.',
    });
  }
  const kept = message.fields.filter((f) => f.name !== 'bcc').map((f) => f.raw);
  return {
    from: from[0],
    recipients,
    raw: Buffer.concat([...kept, Buffer.from(message.eol), message.body]),
  };
}

/**
 * A copy the webmail stores (draft, sent copy) must already be encrypted for the owner when the
 * mailbox encrypts its mail: the server never stores what it was not asked to send in clear.
 */
export async function assertStorable(raw: Buffer, encryptionMode: string): Promise<void> {
  if (encryptionMode === 'none') return;
  if (!(await isAlreadyEncrypted(raw))) {
    throw errors.badRequest('not_encrypted', {
      fr: 'Cette boîte chiffre son courrier : le message doit être chiffré avant d’être enregistré.',
      en: 'This mailbox encrypts its mail: the message must be encrypted before it is stored.',
    });
  }
}

/**
 * Submits through Postfix's submission service as the mailbox (the webmail's master user), so
 * the message takes the platform's path: sender checks, then the outbound gateway (DKIM, relays,
 * fallback).
 */
export async function submit(
  endpoint: Endpoint,
  master: MasterCredentials,
  mailbox: string,
  outgoing: Outgoing,
): Promise<{ messageId: string | null }> {
  const transport = nodemailer.createTransport({
    host: endpoint.host,
    port: endpoint.port,
    secure: false,
    // Loopback to the platform's own Postfix (a private network in production).
    ignoreTLS: true,
    auth: { user: masterLogin(mailbox, master), pass: master.password },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  });
  try {
    await transport.sendMail({
      envelope: { from: outgoing.from, to: outgoing.recipients },
      raw: outgoing.raw,
    });
    const id = splitMessage(outgoing.raw).fields.find((f) => f.name === 'message-id');
    return { messageId: id ? fieldValue(id) : null };
  } catch (e) {
    const code = (e as { responseCode?: number }).responseCode;
    if (code && code >= 500 && code < 600) {
      throw errors.badRequest(
        'submission_refused',
        { fr: 'Le serveur d’envoi a refusé ce message.', en: 'The sending server refused this message.' },
        { response: (e as { response?: string }).response ?? null },
      );
    }
    throw errors.unavailable(undefined, {
      fr: 'Le serveur d’envoi ne répond pas ; le message n’est pas parti, réessayez.',
      en: 'The sending server does not answer; the message was not sent, try again.',
    });
  } finally {
    transport.close();
  }
}
