type Listener = (text: string) => void;
let listener: Listener | undefined;

/**
 * Says something to screen-reader users through the page's one polite live region (ui/live-region):
 * new mail, a language switch, a saved change. Visible text should say it too.
 */
export function announce(text: string): void {
  listener?.(text);
}

export function setAnnouncer(next: Listener | undefined): void {
  listener = next;
}
