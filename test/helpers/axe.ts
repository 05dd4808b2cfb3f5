// Automated accessibility checks for the browser suites (issue 25): axe-core inside the page Chromium shows, run
// against WCAG 2.0, 2.1 and 2.2 levels A and AA. axe's source goes in through page.evaluate, which the page's CSP
// does not govern (a CDP Runtime.evaluate); the page itself keeps its strict policy: no addScriptTag, no
// bypassCSP, so a check never weakens what it checks.
//
// axe finds a part of what WCAG asks (contrast, names, labels, landmarks, target size, ARIA use…); keyboard paths,
// focus order and reflow are asserted by the suites themselves (test/e2e/languages-and-branding.test.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** The rule sets every page must pass: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] as const;

let source: string | undefined;
function axeSource(): string {
  source ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return source;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  /** One entry per offending element: its CSS selector path, and axe's explanation for that element. */
  nodes: { target: string; summary: string }[];
}

interface AxeResultsShape {
  violations: { id: string; impact?: string | null; help: string; helpUrl: string; nodes: { target: unknown[]; failureSummary?: string }[] }[];
}

/** Runs axe on the page as it is now and answers its violations (none is the goal). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== 'undefined');
  if (!loaded) await page.evaluate(axeSource());
  const results = await page.evaluate(
    async (tags) => {
      const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<unknown> } }).axe;
      const doc = (globalThis as unknown as { document: unknown }).document;
      const answer = (await axe.run(doc, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })) as AxeResultsShape;
      return answer.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact ?? null,
        help: violation.help,
        helpUrl: violation.helpUrl,
        nodes: violation.nodes.map((node) => ({ target: node.target.map(String).join(' '), summary: node.failureSummary ?? '' })),
      }));
    },
    [...AXE_TAGS],
  );
  return results;
}

/** One line per offending element: `<rule id>: <help> — <selector> (<why>)`. */
export function describeViolations(violations: AxeViolation[]): string[] {
  return violations.flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${violation.help} — ${node.target} (${node.summary.replace(/\s+/g, ' ').trim().slice(0, 300)})`));
}

/** Fails the test with every violation (rule, help, element, why) when axe finds any on the page. */
export async function expectAccessible(page: Page, what = page.url()): Promise<void> {
  const found = describeViolations(await axeViolations(page));
  expect(found, `accessibility violations on ${what}`).toEqual([]);
}

/**
 * Checks each page of a journey as the journey reaches it, and fails only at the end with every violation of
 * every page: one run names all the pages to fix. Pages of other origins (relying applications, upstream
 * providers) are not ours and are skipped.
 */
export class AccessibilityAudit {
  private readonly found: string[] = [];
  readonly checked: string[] = [];

  constructor(private readonly origin: string) {}

  /** Runs axe on the page now when it is one of ours; `label` names it in the report. */
  async check(page: Page, label: string): Promise<void> {
    if (new URL(page.url()).origin !== new URL(this.origin).origin) return;
    await page.waitForLoadState('load');
    this.checked.push(label);
    for (const line of describeViolations(await axeViolations(page))) this.found.push(`${label} (${new URL(page.url()).pathname}): ${line}`);
  }

  /** Every violation found so far, one line each; none is the goal. */
  violations(): string[] {
    return [...this.found];
  }

  expectNone(): void {
    expect(this.found, `accessibility violations on: ${this.checked.join(', ')}`).toEqual([]);
  }
}
