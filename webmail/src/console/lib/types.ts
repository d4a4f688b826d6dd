/** The shapes `/api/v1` answers with, as the console reads them. */

export interface Localized {
  fr: string;
  en: string;
}

export interface Page<T> {
  items: T[];
}

export interface Collective {
  id: string;
  slug: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  /** Set while a racine keeps the collective suspended. */
  suspension: { since: string; reason: string } | null;
}

/** In the answer to a suspension: whether Dovecot ended the sessions that were open, else what to do. */
export interface SessionsEnded {
  ended: boolean;
  message?: { fr: string; en: string };
}

export type Role = 'admin' | 'member';

export interface Member {
  accountId: string;
  email: string;
  role: Role;
  since: string;
}

export type CheckStatus = 'ok' | 'warning' | 'error' | 'unknown';

export interface CheckMessage {
  level: 'info' | 'warning' | 'error' | 'unknown';
  code: string;
  text: Localized;
  /** The exact record(s) to publish, when something must change. */
  publish?: string[];
}

export interface CheckResult {
  id: string;
  status: CheckStatus;
  expected: string[];
  found: string[];
  messages: CheckMessage[];
}

export interface CheckReport {
  domain: string;
  checkedAt: string;
  status: CheckStatus;
  checks: CheckResult[];
}

export interface Domain {
  id: string;
  name: string;
  unicodeName: string;
  collective?: string;
  status: 'pending' | 'active' | 'suspended';
  verification: { type: 'TXT'; name: string; value: string } | null;
  verifiedAt: string | null;
  lastCheck: CheckReport | null;
  lastCheckedAt: string | null;
  createdAt: string;
}

export interface VerifyOutcome {
  name: string;
  status: Domain['status'];
  verified: boolean;
  check: CheckResult;
}

export interface PlannedRecord {
  id: string;
  type: string;
  name: string;
  value: string;
  ttl: number;
  purpose: Localized;
}

export interface DkimKey {
  id: string;
  selector: string;
  algorithm: 'rsa' | 'ed25519';
  mode: 'delegated' | 'txt';
  state: 'pending' | 'active' | 'retiring' | 'retired';
  publicKey: string;
  createdAt: string;
  activatedAt: string | null;
  retiringAt: string | null;
  retiredAt: string | null;
}

export interface Mailbox {
  id: string;
  address: string;
  localPart: string;
  displayName: string | null;
  quotaBytes: number;
  status: 'active' | 'disabled';
  encryptionMode: 'generated' | 'public-key' | 'none';
  protectedSubject: boolean;
  mustChangePassword: boolean;
  /** Created without a password: its owner has not yet chosen one with her one-time link. */
  awaitingOwner: boolean;
  setupLinkExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A one-time link for a mailbox's owner to choose its password; its URL is given only once. */
export interface SetupLink {
  url: string;
  expiresAt: string;
}

/** Storage a mailbox uses, as Dovecot counts it. */
export interface QuotaUsage {
  usedBytes: number;
  limitBytes: number | null;
  usedMessages: number;
  percent: number;
}

export interface MailboxPage {
  /** With `usage=true`: null where Dovecot does not serve the mailbox (suspended) or did not answer. */
  items: Array<Mailbox & { usage?: QuotaUsage | null }>;
  nextCursor: string | null;
  usageUnavailable?: boolean;
}

export interface PasswordOutcome {
  kind: 'change' | 'reset';
  recoveryCode: string | null;
  consequences: Localized;
}

export interface Alias {
  id: string;
  source: string;
  localPart: string;
  catchAll: boolean;
  destinations: string[];
  system: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: { type: string; id: string | null; label: string };
  collectiveId: string | null;
  action: string;
  target: { type: string | null; id: string | null };
  details: Record<string, unknown> | null;
}

export interface AuditPage {
  items: AuditEntry[];
  nextBefore: number | null;
}

export interface Relay {
  name: string;
  kind: 'smarthost' | 'direct';
  host: string | null;
  port: number | null;
  tlsMode: 'implicit' | 'starttls' | 'none' | null;
  username: string | null;
  hasPassword: boolean;
  priority: number;
  role: 'primary' | 'fallback';
  state: 'active' | 'draining' | 'disabled';
  sendingIps: string[];
  health: {
    status: 'up' | 'down' | 'unknown';
    checkedAt: string | null;
    latencyMs: number | null;
    error: string | null;
    dnsblListings: Array<{ ip: string; zone: string; answer?: string }> | null;
    /** This node's circuit breaker for the relay. */
    circuit: 'closed' | 'open' | 'half-open' | 'unknown';
  };
  createdAt: string;
  updatedAt: string;
}

export interface HealthItem {
  id:
    | 'database'
    | 'inbound-gateway'
    | 'outbound-gateway'
    | 'dovecot'
    | 'postfix'
    | 'dns-zone'
    | 'relays'
    | 'domains';
  status: CheckStatus;
  facts: Record<string, unknown>;
  message?: Localized;
}

export interface PlatformHealth {
  checkedAt: string;
  status: CheckStatus;
  items: HealthItem[];
  outbound: Record<string, number>;
}

export interface MasterKeyStatus {
  keys: Array<{ id: string; current: boolean; envelopes: number }>;
  columns: Array<{ column: string; total: number; onCurrent: number }>;
  total: number;
  onCurrent: number;
  state: 'complete' | 'resumable';
  retirable: string[];
  commands: { rotate: string; retire: string };
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
  collective?: { slug: string; name: string };
}

/** A console account as the racines see it (never its password or TOTP secret). */
export interface ConsoleAccount {
  id: string;
  email: string;
  racine: boolean;
  mustChangePassword: boolean;
  totpEnabled: boolean;
  createdAt: string;
}

export interface ConsoleAccountPage {
  items: ConsoleAccount[];
  nextCursor: string | null;
}

/** A domain's DKIM state, as GET /platform/dkim gives it to the racines. */
export interface DkimOverview {
  domain: string;
  mode: 'delegated' | 'txt';
  active: string[];
  pending: string[];
  retiring: Array<{ selector: string; until: string | null }>;
  nextRotationAt: string | null;
}
