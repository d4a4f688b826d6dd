import { onLogout } from '../shell/session';
import { crypto } from './crypto/client';
import { mailApi } from './mail-api';

/**
 * The webmail's own settings for a mailbox, kept on the server as one blob the crypto Worker
 * encrypts to the mailbox's key: the server does not keep the list of senders whose remote
 * images the owner trusts in clear.
 */
export interface Preferences {
  /** Senders (lowercased addresses) whose remote images load without asking. */
  remoteSenders: string[];
  /** The signature compose adds under a message, per identity (lowercased address). */
  signatures: Record<string, string>;
  /** Sign what leaves in clear with the mailbox's key (what is encrypted end to end is signed anyway). */
  signOutgoing: boolean;
}

const DEFAULTS: Preferences = { remoteSenders: [], signatures: {}, signOutgoing: false };

let cached: { address: string; value: Promise<Preferences> } | undefined;

onLogout(() => {
  cached = undefined;
});

async function fetchPreferences(address: string): Promise<Preferences> {
  const { blob } = await mailApi.preferences(address);
  if (!blob) return { ...DEFAULTS };
  const { json } = await crypto('openPreferences', { blob });
  return { ...DEFAULTS, ...(JSON.parse(json) as Partial<Preferences>) };
}

export function loadPreferences(address: string): Promise<Preferences> {
  if (cached?.address !== address) {
    const value = fetchPreferences(address);
    cached = { address, value };
    // A failure is not remembered: the next screen asks again.
    value.catch(() => {
      if (cached?.value === value) cached = undefined;
    });
  }
  return cached.value;
}

export async function updatePreferences(
  address: string,
  change: (current: Preferences) => Preferences,
): Promise<Preferences> {
  const next = change(await fetchPreferences(address));
  const { blob } = await crypto('sealPreferences', { json: JSON.stringify(next) });
  await mailApi.savePreferences(address, blob);
  cached = { address, value: Promise.resolve(next) };
  return next;
}
