// "Your applications" on the account page (issue 21): the applications a person can start a sign-in at from here.
// An application is listed when it has an initiate_login_uri (OIDC Core §4, "Initiating Login from a Third Party")
// and its access rule admits the person (src/auth/access-rules.ts, the rule every sign-in checks), so the page
// never offers a door that would then be shut. The link carries `iss` (required by §4, so the application knows
// which provider to ask) and `login_hint` (the person's address, §3.1.2.1), added to whatever query it has.
import { mayUse, restricted } from '../auth/access-rules.js';
import { browserUrl, logoUrl } from '../http/browser-url.js';
import type { ClientRecord, MemberGroup, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

export interface ApplicationView {
  name: string;
  /** An https image, or null: the page then shows the name alone. */
  logoUri: string | null;
  /** initiate_login_uri with iss and login_hint. */
  href: string;
}

/** Clients read per page while looking for the listed ones. */
export const APPLICATION_PAGE_SIZE = 200;
/**
 * A bound on the pages read for one account page (10,000 clients): a registry that large is not meant to be
 * browsed here, and the page must answer in bounded time whatever the client table holds.
 */
export const MAX_APPLICATION_PAGES = 50;

/**
 * The link that starts a sign-in at the application. The registration rules already refuse any other scheme;
 * the check is repeated here because the value lands in an href on a signed-in page (a row from an old import
 * must not become a javascript: link).
 */
export function initiateLoginHref(initiateLoginUri: string, issuer: string, email: string): string | null {
  const url = browserUrl(initiateLoginUri, ['https:', 'http:']);
  if (!url || url.hash !== '') return null;
  url.searchParams.set('iss', issuer);
  url.searchParams.set('login_hint', email);
  return url.toString();
}

function applicationView(client: ClientRecord, issuer: string, email: string): ApplicationView | null {
  if (client.initiateLoginUri === null) return null;
  const href = initiateLoginHref(client.initiateLoginUri, issuer, email);
  if (href === null) return null;
  return { name: client.name, logoUri: logoUrl(client.logoUri), href };
}

/**
 * The applications listed for `user`, in client name order (the store's). The person's groups are read once,
 * and only when some listed application restricts access.
 */
export async function yourApplications(store: Store, issuer: string, user: Pick<UserRecord, 'id' | 'email'>): Promise<ApplicationView[]> {
  const listed: ApplicationView[] = [];
  let groups: MemberGroup[] | null = null;
  let after: string | null = null;
  for (let page = 0; page < MAX_APPLICATION_PAGES; page++) {
    const { items, next } = await store.clients.list({ after, limit: APPLICATION_PAGE_SIZE });
    for (const client of items) {
      const view = applicationView(client, issuer, user.email);
      if (view === null) continue;
      if (restricted(client)) {
        groups ??= await store.groups.groupsOf(user.id);
        if (!mayUse(client, groups)) continue;
      }
      listed.push(view);
    }
    if (next === null) break;
    after = next;
  }
  return listed;
}
