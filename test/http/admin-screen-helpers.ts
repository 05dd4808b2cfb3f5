// What the admin screen tests (clients, groups, attributes, APIs) read off a page and off the audit log, shared
// instead of copied into each: a field's error, the notice, an input's tag and value, a textarea's text, the recent
// sign-in page, a link by its text, the events appended since a point; the client form as a browser sends it; and
// the app with a fresh administrator per test. The checks each screen makes on every route: ./admin-access-checks.ts.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { AuditEventRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import type { Page } from '../helpers/browser.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;

export const XSS = '<script>alert(1)</script>';
export const XSS_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

/** The error shown under a field, or null. */
export const fieldError = (page: Page, id: string): string | null => new RegExp(`<p class="field-error" id="${id}-error">([^<]*)</p>`).exec(page.body)?.[1] ?? null;
/** The notice a redirect after a change shows, or null. */
export const noticeOf = (page: Page): string | null => /<p class="notice" role="status">([^<]*)<\/p>/.exec(page.body)?.[1] ?? null;
/** The whole <input> tag with this id, or ''. */
export const inputTag = (page: Page, id: string): string => new RegExp(`<input id="${id}"[^>]*>`).exec(page.body)?.[0] ?? '';
/** The value of an input by id (a read-only one included), as the page has it (escaped), or null. */
export const inputValue = (page: Page, id: string): string | null => new RegExp(`<input id="${id}"[^>]*\\bvalue="([^"]*)"`).exec(page.body)?.[1] ?? null;
/** The text of a textarea by id, as the page has it (escaped), or null. */
export const textareaText = (page: Page, id: string): string | null => new RegExp(`<textarea id="${id}"[^>]*>([^<]*)</textarea>`).exec(page.body)?.[1] ?? null;
/** The opening tag of the input or textarea with this id, or ''. */
export const tagOf = (page: Page, id: string): string => new RegExp(`<(?:input|textarea) id="${id}"[^>]*>`).exec(page.body)?.[0] ?? '';
/** How a message looks once HTML-escaped (quotes become &#34;). */
export const escaped = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
/** Whether the answer is the recent sign-in page (src/admin/recent-sign-in.ts) rather than the action. */
export const isConfirmPage = (page: Page): boolean => page.status === 403 && page.body.includes('<h1>Confirm it’s you</h1>');

/** The href of the link with exactly this text, unescaped, as a path and query. */
export function link(page: Page, text: string): string | null {
  const href = new RegExp(`<a href="([^"]*)"[^>]*>${text}</a>`).exec(page.body)?.[1];
  if (!href) return null;
  const url = new URL(href.replace(/&amp;/g, '&'), page.url);
  return url.pathname + url.search;
}

/** The id of the newest audit event (0 for none): pass it to eventsSince after the action. */
export async function lastEventId(app: RunningApp): Promise<number> {
  return (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
}

/** The events appended after `after`, oldest first (at most 100 looked at). */
export async function eventsSince(app: RunningApp, after: number): Promise<AuditEventRecord[]> {
  return (await app.store.audit.list({ limit: 100 })).filter((event) => event.id > after).reverse();
}

/**
 * Runs `body` as an administrator (a new one, `email`) whose sign-in is 16 minutes old, past the recent sign-in
 * sensitive actions need; the clock goes back and their sessions end afterwards.
 */
export async function asStaleAdmin<T>(app: RunningApp, clock: FakeClock, email: string, body: (stale: SignedInAdmin) => Promise<T>): Promise<T> {
  const stale = await signedInAdmin(app, email);
  clock.advance(16 * MINUTE);
  try {
    return await body(stale);
  } finally {
    clock.advance(-16 * MINUTE);
    await app.store.sessions.deleteForUser(stale.user.id);
  }
}

/**
 * The fields of the client registration form a browser sends with nothing typed in them but the name and redirect
 * URIs (put before these), the radio buttons on their first choice: the issue-7 and issue-21 fields.
 */
export const blankClientFields = {
  post_logout_redirect_uris: '',
  backchannel_logout_uri: '',
  client_type: 'confidential',
  refresh_reuse_grace: '',
  access_policy: 'everyone',
  access_groups: '',
  access_group_add: '',
  groups_claim: 'all',
  groups_claim_prefix: '',
  claim_groups: '',
  claim_group_add: '',
  initiate_login_uri: '',
  logo_uri: '',
  access_contact: '',
};

/**
 * Starts the app on `clock` for the enclosing describe block (`started` gets it before any other beforeAll of the
 * block runs) and stops it afterwards; signs a fresh administrator in before each test (`signedIn`), since some tests
 * move the clock past the 15 minutes of a recent sign-in.
 */
export function appWithAdminPerTest(clock: FakeClock, set: { started: (app: RunningApp) => void; signedIn: (admin: SignedInAdmin) => void }): void {
  let app: RunningApp | undefined;
  beforeAll(async () => {
    app = await startApp({ clock });
    set.started(app);
  });
  afterAll(async () => {
    await app?.stop();
  });
  beforeEach(async () => {
    if (!app) throw new Error('the app did not start');
    set.signedIn(await signedInAdmin(app));
  });
}
