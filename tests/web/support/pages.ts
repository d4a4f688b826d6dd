import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

/** Fills the one login form (console account or mailbox) and submits it. */
export async function logIn(page: Page, login: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: /Adresse e-mail|E-mail address/ }).fill(login);
  await page.getByLabel(/^(Mot de passe|Password)$/).fill(password);
  await page.getByRole('button', { name: /^(Se connecter|Log in)$/ }).click();
}

/** Logs a mailbox in and opens it with its password (the webmail's two steps, in French). */
export async function logInAndUnlock(
  page: Page,
  url: string,
  address: string,
  password: string,
): Promise<void> {
  await page.goto(`${url}/login`);
  await logIn(page, address, password);
  await page.getByLabel('Mot de passe de la boîte').fill(password);
  await page.getByRole('button', { name: 'Ouvrir' }).click();
}

/** Waits for the screen whose h1 says `text` (screens load and re-render asynchronously). */
export const headingIs = (page: Page, text: string | RegExp) =>
  page.getByRole('heading', { level: 1, name: text, exact: typeof text === 'string' }).waitFor();

/** The width the page scrolls sideways by; 0 when it reflows into the viewport. */
export const sidewaysOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

const SHOTS = process.env.GIROFLEE_SCREENSHOTS;

/**
 * With GIROFLEE_SCREENSHOTS=<folder>, saves the page as `<name>.png` there (the README's images
 * in docs/screenshots are made this way); otherwise does nothing.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Waits until `ready()` holds (an event the page caused), failing after a generous bound. */
export async function until(ready: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
