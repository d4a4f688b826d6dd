/** What the page may ask of the crypto Worker. The unlocked key never crosses this boundary. */

export interface Person {
  name: string;
  address: string;
}

export interface OpenedAttachment {
  filename: string;
  mimeType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
  content: ArrayBuffer;
}

export type SignatureStatus = 'none' | 'valid' | 'invalid' | 'unknown-key';

export interface OpenedMessage {
  /** The outer header's subject, or the protected one from inside the encrypted part. */
  subject: string;
  from: Person[];
  to: Person[];
  cc: Person[];
  /** Only in the mailbox's own copies (drafts, sent): the Bcc it wrote, kept inside. */
  bcc: Person[];
  replyTo: Person[];
  date: string | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  text: string | null;
  /** Raw HTML: the page sanitises it before showing it. */
  html: string | null;
  attachments: OpenedAttachment[];
  /** The message was encrypted (PGP/MIME) and decrypted here. */
  encrypted: boolean;
  /** An OpenPGP signature, checked against the sender's published key. */
  signature: SignatureStatus;
  /** Authentication-Results (RFC 8601) of the platform, per method. */
  authentication: Array<{ method: string; result: string }>;
}

/** What the person wrote, as the compose screen hands it over. */
export interface Draft {
  from: Person;
  to: Person[];
  cc: Person[];
  bcc: Person[];
  subject: string;
  text: string;
  inReplyTo: string | null;
  references: string[];
  attachments: Array<{ filename: string; mimeType: string; content: ArrayBuffer }>;
  /** Kept across autosaves of one draft and into the message it becomes. */
  messageId: string;
}

export interface Composed {
  /** What leaves: in clear, or encrypted end to end to every recipient. */
  outgoing: Uint8Array;
  /** The mailbox's own copy (Sent or Drafts): encrypted to its key when it has one, Bcc inside. */
  copy: Uint8Array;
}

/** How far the local search index has got in one folder. */
export interface IndexProgress {
  address: string;
  folder: string;
  indexed: number;
  total: number;
  /** The walk over the folder ended (everything it holds is indexed). */
  done: boolean;
}

/** A message the local body search found (its clear fields, decrypted in the Worker). */
export interface SearchHit {
  folder: string;
  uid: number;
  subject: string;
  from: string;
  date: string | null;
}

export interface CryptoApi {
  /** Derives the passphrase (argon2id), opens the private keys, returns the sealed blob to keep. */
  unlock(args: { address: string; password: string }): Promise<{ blob: string }>;
  /** Opens the keys from a blob sealed for this session; false when it cannot. */
  restore(args: { address: string; blob: string }): Promise<boolean>;
  isUnlocked(): Promise<boolean>;
  /** Fetches, decrypts and parses one message. */
  open(args: { address: string; folder: string; uid: number }): Promise<OpenedMessage>;
  /**
   * Writes a message. `recipientKeys` (armored) encrypts the outgoing message end to end;
   * `protectSubject` puts "..." in the outer Subject of what is encrypted; `sign` signs a message
   * that leaves in clear (RFC 3156 multipart/signed) with the mailbox's key.
   */
  compose(args: {
    draft: Draft;
    recipientKeys: string[] | null;
    protectSubject: boolean;
    sign: boolean;
  }): Promise<Composed>;
  /** Encrypts the webmail's settings to the mailbox's key (clear JSON when it has none). */
  sealPreferences(args: { json: string }): Promise<{ blob: string }>;
  openPreferences(args: { blob: string }): Promise<{ json: string }>;
  /**
   * Indexes, for the local body search, the folder's messages the index lacks (progress comes as
   * `{ progress }` messages meanwhile).
   */
  indexFolder(args: { address: string; folder: string }): Promise<IndexProgress>;
  /** Searches the local index (bodies, protected subjects, senders, attachment names). */
  search(args: { address: string; query: string }): Promise<SearchHit[]>;
  /** Forgets every key, and the search index. */
  lock(): Promise<void>;
}

export type Request = { id: number; op: keyof CryptoApi; args: unknown };
export type Response =
  | { progress: IndexProgress }
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };
