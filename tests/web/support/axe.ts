import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** WCAG 2.2 A and AA plus axe's best practices. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/**
 * Runs axe-core on the page as it is and fails on any serious or critical violation. axe is
 * injected once per document (parsing it costs more than a run) through Playwright's evaluate,
 * which the page's CSP does not apply to.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const results = await page.evaluate(
    (tags) =>
      (window as unknown as { axe: typeof axe }).axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        // Only violations: collecting passes and incomplete results doubles the time.
        resultTypes: ['violations'],
      }),
    TAGS,
  );
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0) {
    const lines = bad.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n` +
        v.nodes.map((n) => `    ${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('\n'),
    );
    throw new Error(`${label}: axe found ${bad.length} serious/critical violation(s)\n${lines.join('\n')}`);
  }
}
