// Latency per page of GET /admin/users, one request at a time on one keep-alive connection (node's fetch),
// timed from the request's start to the body's last byte with performance.now(). The admin signs in through
// the login page as a person does (test/helpers/admin.ts); each next page is the href of the page's own
// "Next page" link, never a cursor built here. Every timed page is checked against the seeded population.
import { Browser, formFields, type Page } from '../../test/helpers/browser.js';
import type { Search } from './population.js';

/** Users per page of the admin list. */
export const PAGE_SIZE = 50;

export interface ScenarioResult {
  id: string;
  label: string;
  /** The search as typed; undefined for the unfiltered list. */
  q?: string;
  /** How many users the list or search finds in all (admin included). */
  matches: number;
  /** One entry per timed page, ms. */
  timings: number[];
}

export interface Plan {
  /** Timed GETs of the first page. */
  firstPageSamples: number;
  /** Timed pages walked through the Next links after the first page. */
  walkPages: number;
  /** Rounds of each search; each round times up to `searchPages` pages. */
  searchRounds: number;
  searchPages: number;
}

/** Signs the admin in through /admin → /login?return_to=… → POST /login, and checks that /admin answers. */
export async function signInAdmin(issuer: string, email: string, password: string): Promise<Browser> {
  const browser = new Browser();
  const first = await browser.get(`${issuer}/admin`);
  if (first.status !== 303 || !first.location) throw new Error(`GET /admin without a session answered ${first.status}, not a 303 to the login page`);
  const login = await browser.get(first.location);
  if (login.status !== 200) throw new Error(`GET ${first.location} answered ${login.status}`);
  const signedIn = await browser.postForm(`${issuer}/login`, { ...formFields(login.body), email, password });
  if (signedIn.status !== 303 || !browser.cookie(issuer, 'gatehouse_session')) {
    throw new Error(`POST /login answered ${signedIn.status}${browser.cookie(issuer, 'gatehouse_session') ? '' : ' without a gatehouse_session cookie'}`);
  }
  const home = await browser.get(`${issuer}/admin`);
  if (home.status !== 200) throw new Error(`GET /admin after signing in answered ${home.status}`);
  return browser;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') return String.fromCodePoint(entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/** The absolute URL of the page's "Next page" link (rel="next" or a link whose text starts with "Next"), or null. */
export function nextLink(html: string, base: string): string | null {
  for (const match of html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a>/gi)) {
    const attributes = match[1] ?? '';
    const text = decodeHtml((match[2] ?? '').replace(/<[^>]*>/g, '')).trim();
    if (!/\brel="[^"]*\bnext\b[^"]*"/i.test(attributes) && !/^next\b/i.test(text)) continue;
    const href = /\bhref="([^"]*)"/i.exec(attributes)?.[1];
    if (href) return new URL(decodeHtml(href), base).toString();
  }
  return null;
}

export async function timedGet(browser: Browser, url: string): Promise<{ ms: number; page: Page }> {
  const started = performance.now();
  const page = await browser.get(url); // reads the whole body
  const ms = performance.now() - started;
  if (page.status !== 200) throw new Error(`GET ${url} answered ${page.status}${page.status === 404 ? ' (is the screen, src/admin/, there yet?)' : ''}`);
  return { ms, page };
}

/** Checks that page `index` (0-based) of a list in `order` shows the users it should, and has a Next link iff more follow. */
function check(page: Page, order: string[], index: number, what: string): void {
  const first = order[index * PAGE_SIZE];
  const last = order[Math.min(order.length, (index + 1) * PAGE_SIZE) - 1];
  for (const email of [first, last]) {
    if (email !== undefined && !page.body.includes(email)) throw new Error(`${what}, page ${index + 1}: ${email} is not on it (${PAGE_SIZE} users per page, ordered by email)`);
  }
  const more = order.length > (index + 1) * PAGE_SIZE;
  if (more !== (nextLink(page.body, page.url) !== null)) throw new Error(`${what}, page ${index + 1}: ${more ? 'no Next link though more users follow' : 'a Next link on the last page'}`);
}

function listUrl(issuer: string, q?: string): string {
  const url = new URL('/admin/users', issuer);
  if (q !== undefined) url.searchParams.set('q', q);
  return url.toString();
}

/** Walks up to `pages` pages from the first, timing each (or only checking, for the warm-up). */
async function walk(browser: Browser, issuer: string, order: string[], pages: number, what: string, q?: string, from = 0): Promise<number[]> {
  const timings: number[] = [];
  let url: string | null = listUrl(issuer, q);
  for (let index = 0; url && index < from + pages; index++) {
    const { ms, page } = await timedGet(browser, url);
    check(page, order, index, what);
    if (index >= from) timings.push(ms);
    url = nextLink(page.body, page.url);
  }
  return timings;
}

/** Untimed: the templates compile, the store's statements are prepared, its pages are in the caches. */
export async function warmUp(browser: Browser, issuer: string, order: string[], searches: { search: Search; order: string[] }[], plan: Plan): Promise<void> {
  for (let i = 0; i < Math.min(20, plan.firstPageSamples); i++) await walk(browser, issuer, order, 1, 'warm-up');
  await walk(browser, issuer, order, Math.min(10, plan.walkPages), 'warm-up');
  for (const { search, order: found } of searches) await walk(browser, issuer, found, plan.searchPages, `warm-up ${search.q}`, search.q);
}

export async function measure(
  browser: Browser,
  issuer: string,
  order: string[],
  searches: { search: Search; order: string[] }[],
  plan: Plan,
  progress: (what: string) => void,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  progress(`first page × ${plan.firstPageSamples}`);
  const first: number[] = [];
  for (let i = 0; i < plan.firstPageSamples; i++) first.push(...(await walk(browser, issuer, order, 1, 'first page')));
  results.push({ id: 'first-page', label: 'First page', matches: order.length, timings: first });

  progress(`${plan.walkPages} consecutive pages through the Next links`);
  const walked = await walk(browser, issuer, order, plan.walkPages, 'walk', undefined, 1);
  if (walked.length < plan.walkPages) throw new Error(`the walk ended after ${walked.length} of ${plan.walkPages} pages: too few users for the plan`);
  results.push({ id: 'walk', label: `Walk: pages 2–${plan.walkPages + 1} via Next`, matches: order.length, timings: walked });

  for (const { search, order: found } of searches) {
    progress(`${search.label}: ${plan.searchRounds} × up to ${plan.searchPages} pages`);
    const timings: number[] = [];
    for (let round = 0; round < plan.searchRounds; round++) timings.push(...(await walk(browser, issuer, found, plan.searchPages, search.label, search.q)));
    results.push({ id: search.id, label: search.label, q: search.q, matches: found.length, timings });
  }
  return results;
}
