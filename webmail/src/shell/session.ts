import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, ApiError } from './api';

export interface Membership {
  slug: string;
  name: string;
  role: 'admin' | 'member';
}

/** `GET /api/v1/me` for the two kinds of browser sessions. */
export type Me =
  | {
      type: 'account';
      id: string;
      email: string;
      racine: boolean;
      mustChangePassword: boolean;
      totpEnabled: boolean;
      memberships: Membership[];
    }
  | { type: 'mailbox'; id: string; address: string; mustChangePassword?: boolean };

export function displayName(me: Me): string {
  return me.type === 'account' ? me.email : me.address;
}

/** The current session, or null when nobody is logged in. */
export async function fetchMe(): Promise<Me | null> {
  try {
    return await api<Me>('GET', '/me', { expectUnauthenticated: true });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function logIn(input: {
  login: string;
  password: string;
  totp?: string;
  kind?: 'account' | 'mailbox';
}): Promise<Me> {
  const res = await api<{ me: Me }>('POST', '/session', { body: input, expectUnauthenticated: true });
  return res.me;
}

type Cleanup = () => void | Promise<void>;
const logoutHooks = new Set<Cleanup>();

/**
 * Registers what must be forgotten at logout (the webmail's unlocked key in its Worker, caches).
 * Returns the unregistering function.
 */
export function onLogout(cleanup: Cleanup): () => void {
  logoutHooks.add(cleanup);
  return () => logoutHooks.delete(cleanup);
}

/** Ends the session on the server, then wipes what this tab holds, even if the server could not be reached. */
export async function logOut(): Promise<void> {
  let failure: unknown;
  try {
    await api('DELETE', '/session', { expectUnauthenticated: true });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) failure = e;
  }
  await forgetLocalState();
  if (failure) throw failure;
}

/** Runs the logout hooks and clears this tab's session storage. */
export async function forgetLocalState(): Promise<void> {
  for (const cleanup of logoutHooks) {
    try {
      await cleanup();
    } catch {
      // One failing cleanup must not keep the others from running.
    }
  }
  try {
    sessionStorage.clear();
  } catch {
    // Storage unavailable: nothing stored there.
  }
}

export interface Session {
  me: Me;
  /** Reads /me again (after a password change, for instance). */
  refresh(): Promise<void>;
  logout(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession() outside a logged-in screen');
  return session;
}
