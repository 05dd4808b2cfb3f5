// "Connected apps" on the account page (issue 24): every application the person allowed (a consent) or that holds
// their refresh tokens (offline access, first-party applications included), with what it may access in the words
// of the consent screen (src/interaction/scope-sentences.ts), when it was last used, and "Remove access".
// Removing revokes the consent, every code and token of that application for the person, and tells the
// application (back-channel logout): src/manage/consents.ts removeClientAccess, audited consent.revoked by 'self'.
// The person's Gatehouse sessions stay: they took access from one application, they did not sign out.
//
// Only the person's own grants can be named: the posted client id is looked up among this person's consents and
// tokens (removeClientAccess is keyed by the signed-in user), so a POST naming an application someone else uses,
// or one nobody uses, finds nothing, writes nothing and answers 404.
//
// What the page shows comes from the application's registration, which strangers write once dynamic registration
// is open: the name is text (escaped), the logo is an https image only (the page's img-src is widened by exactly
// those origins: render.ts), and the home page is shown with its host name in plain text, so a look-alike name
// cannot hide where it leads.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../errors.js';
import { linkedPage, logoUrl, type LinkedPage } from '../http/browser-url.js';
import { connectedApps, removeClientAccess, type ConnectedApp } from '../manage/consents.js';
import { claimCatalogOf } from '../oidc/claim-catalog.js';
import { describeScopes, type SentenceLocale } from '../interaction/scope-sentences.js';
import type { UserRecord } from '../store/records.js';
import { accountPath } from './access.js';
import { accountOf, type AccountDependencies } from './context.js';
import { parseAccountForm } from './forms.js';

export interface ConnectedAppView {
  clientId: string;
  name: string;
  /** An https image, or null: the page then shows the name alone. */
  logoUri: string | null;
  /** The application's home page (client_uri), an http(s) URL, or null. */
  homePage: LinkedPage | null;
  /** Sentences about the person's own details ("See your email address"). */
  about: string[];
  /** Each API it may call for the person, with what it may do there. */
  apis: { name: string; scopes: string[] }[];
  /** When it was last used (ms), or null when it was allowed but never used since. */
  lastUsed: number | null;
  /** When the person allowed it (ms), or null (a first-party application holding tokens: nothing was asked). */
  allowed: number | null;
  /** It holds refresh tokens: it can act while the person is away. */
  holdsTokens: boolean;
}

/** What views/account/partials/connected-apps.ejs shows. */
export interface ConnectedAppsSection {
  apps: ConnectedAppView[];
  removePath: string;
}

const NOTHING_TO_REMOVE = 'That application has no access to your account. It may have been removed already.';

/** Generous bound: client ids are ours (randomId) or an import's; anything longer names nothing. */
const removeSchema = z.object({ client: z.string().max(512).default('') });

/** The APIs the application may request tokens for: their scopes are described under the API's name. */
async function requestableApis(deps: Pick<AccountDependencies, 'store'>, clientId: string): Promise<string[]> {
  const access = await deps.store.apis.accessOf(clientId);
  return access.filter((grant) => grant.role === 'request').map((grant) => grant.api.identifier);
}

async function appView(deps: Pick<AccountDependencies, 'store' | 'clock'>, app: ConnectedApp, locale: SentenceLocale): Promise<ConnectedAppView> {
  const { client } = app;
  const described = await describeScopes(deps.store, claimCatalogOf(deps.store, deps.clock), client, app.scopes, await requestableApis(deps, client.clientId), locale);
  return {
    clientId: client.clientId,
    name: client.name,
    logoUri: logoUrl(client.logoUri),
    homePage: linkedPage(client.clientUri),
    about: described.about,
    // An API none of whose scopes the person gave says nothing about what the application may do.
    apis: described.apis.filter((api) => api.scopes.length > 0),
    lastUsed: app.lastUsedAt,
    allowed: app.consentedAt,
    holdsTokens: app.holdsTokens,
  };
}

/** The person's connected apps, most recently used first (connectedApps' order), described in the page's language. */
export async function connectedAppsOf(deps: AccountDependencies, user: Pick<UserRecord, 'id'>, locale: SentenceLocale): Promise<ConnectedAppsSection> {
  const apps = await connectedApps(deps, user.id);
  return { apps: await Promise.all(apps.map((app) => appView(deps, app, locale))), removePath: accountPath(deps, '/connected-apps/remove') };
}

/** POST /account/connected-apps/remove (`client`: the client id of one of this person's connected apps). */
export function removeConnectedApp(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const { client } = parseAccountForm(removeSchema, req);
    if (client === '') throw new NotFoundError(NOTHING_TO_REMOVE).shown('account.errors.nothingToRemove');
    const ctx = { store: deps.store, clock: deps.clock, passwordMinLength: deps.config.passwordMinLength, actor: user.id, ip: req.ip ?? null, sessionEnd: deps.sessionEnd };
    try {
      // Keyed by the signed-in person: an application they have nothing with is a NotFoundError, nothing written.
      await removeClientAccess(ctx, user.id, client, { actor: user.id, kind: 'self' });
    } catch (error) {
      // The shared rule words it for the command line; the page says it to the person.
      if (error instanceof NotFoundError) throw new NotFoundError(NOTHING_TO_REMOVE).shown('account.errors.nothingToRemove');
      throw error;
    }
    res.redirect(303, accountPath(deps, '?done=app-removed'));
  };
}
