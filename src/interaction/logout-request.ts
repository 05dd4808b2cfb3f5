// What an end-session request asks for (RP-Initiated Logout 1.0 §2, §3): which client, whether its hint is
// ours, and whether the post-logout redirect it names was registered (exact match, or no redirect at all).
// Refusals carry their translation for the page (issue 25, section `logout`); the English message for the log.
import { LogoutRefused } from '../errors.js';
import { verifyIdTokenHint, type IdTokenHint } from '../oidc/id-token-hint.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

export interface LogoutRequest {
  /** A verified hint; null when none was sent or it was not one of our ID tokens. */
  hint: IdTokenHint | null;
  /** A hint was sent but failed verification: then nothing it came with is trusted for a redirect. */
  hintRejected: boolean;
  client: ClientRecord | null;
  /** The requested post-logout redirect URI, only when the client registered exactly this URI. */
  redirectUri: string | null;
  /** A post_logout_redirect_uri was sent that may not be used. */
  redirectRefused: boolean;
  state: string | undefined;
}

export interface LogoutRequestDependencies {
  store: Store;
  keyRing: KeyRing;
  issuer: string;
}

function single(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new LogoutRefused(`The sign-out request has more than one ${name}.`).shown('logout.repeated', { name });
  return value;
}

export async function parseLogoutRequest(deps: LogoutRequestDependencies, params: Record<string, unknown>): Promise<LogoutRequest> {
  const rawHint = single(params, 'id_token_hint');
  const clientId = single(params, 'client_id');
  const requestedUri = single(params, 'post_logout_redirect_uri');
  const state = single(params, 'state');

  const hint = rawHint === undefined ? null : await verifyIdTokenHint(deps.keyRing, deps.issuer, rawHint);
  const hintRejected = rawHint !== undefined && hint === null;
  // §2: when both are present, the client_id must be one the hint was issued to.
  if (hint && clientId !== undefined && !hint.audience.includes(clientId)) {
    throw new LogoutRefused('The sign-out request names a different application than the ID token it carries.').shown('logout.otherApplication');
  }
  const identifiedClientId = clientId ?? (hint?.audience.length === 1 ? hint.audience[0] : undefined);
  const client = identifiedClientId === undefined ? null : await deps.store.clients.findById(identifiedClientId);
  if (clientId !== undefined && !client) throw new LogoutRefused('The sign-out request comes from an unknown application.').shown('logout.unknownApplication');

  const registered = !hintRejected && client !== null && requestedUri !== undefined && client.postLogoutRedirectUris.includes(requestedUri);
  return {
    hint,
    hintRejected,
    client,
    redirectUri: registered ? requestedUri : null,
    redirectRefused: requestedUri !== undefined && !registered,
    state,
  };
}

/** The post-logout redirect with `state` echoed (§3); the URI's own query is kept. */
export function postLogoutRedirect(uri: string, state: string | undefined): string {
  if (state === undefined) return uri;
  const url = new URL(uri);
  url.searchParams.append('state', state);
  return url.toString();
}
