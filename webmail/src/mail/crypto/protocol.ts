/** What the page may ask of the crypto Worker. The unlocked key never crosses this boundary. */

export interface OpenedMessage {
  /** The outer header's subject, or the protected one from inside the encrypted part. */
  subject: string;
  from: Array<{ name: string; address: string }>;
  to: Array<{ name: string; address: string }>;
  cc: Array<{ name: string; address: string }>;
  replyTo: Array<{ name: string; address: string }>;
  date: string | null;
  messageId: string | null;
  references: string[];
  text: string | null;
  /** Raw HTML: the page sanitises it before showing it. */
  html: string | null;
  attachments: Array<{
    filename: string;
    mimeType: string;
    size: number;
    contentId: string | null;
    inline: boolean;
    content: ArrayBuffer;
  }>;
  /** The message was encrypted (PGP/MIME) and decrypted here. */
  encrypted: boolean;
  signature: 'none' | 'valid' | 'invalid' | 'unknown-key';
  /** Authentication-Results (RFC 8601) of the platform, per method. */
  authentication: Array<{ method: string; result: string }>;
}

export interface CryptoApi {
  /** Derives the passphrase (argon2id), opens the private keys, returns the sealed blob to keep. */
  unlock(args: { address: string; password: string }): Promise<{ blob: string }>;
  /** Opens the keys from a blob sealed for this session; false when it cannot. */
  restore(args: { address: string; blob: string }): Promise<boolean>;
  isUnlocked(): Promise<boolean>;
  /** Fetches, decrypts and parses one message. */
  open(args: { address: string; folder: string; uid: number }): Promise<OpenedMessage>;
  /** Forgets every key. */
  lock(): Promise<void>;
}

export type Request = { id: number; op: keyof CryptoApi; args: unknown };
export type Response =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };
