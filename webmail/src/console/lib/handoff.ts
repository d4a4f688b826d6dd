import type { SetupLink } from './types';

/**
 * Secrets the server returns once (a new mailbox's recovery code, an owner's one-time link),
 * handed from the screen that received them to the screen that shows them, in this tab's memory
 * only: never in the URL, never in storage, gone after being shown or on reload.
 */
const recoveryCodes = new Map<string, string>();
const setupLinks = new Map<string, SetupLink>();

export function handOverRecoveryCode(address: string, code: string): void {
  recoveryCodes.set(address, code);
}

export function takeRecoveryCode(address: string): string | undefined {
  const code = recoveryCodes.get(address);
  recoveryCodes.delete(address);
  return code;
}

export function handOverSetupLink(address: string, link: SetupLink): void {
  setupLinks.set(address, link);
}

export function takeSetupLink(address: string): SetupLink | undefined {
  const link = setupLinks.get(address);
  setupLinks.delete(address);
  return link;
}
