// The one question every path to a code asks once the person is known (issue 24): may the application have what it
// asked for now, or must the person allow it first? Asked by a single sign-on answer (oidc/authorize.ts), at the end
// of a sign-in (complete-sign-in.ts) and by the consent page itself (consent.ts), through the same rule
// (src/auth/consent-policy.ts). A first-party application without prompt=consent reads nothing: no query on the
// hot path. A code issued under a stored consent marks it used (ConsentRepository.touch: "Last used" on the
// account's Connected apps).
import { readsConsent, scopesToAsk } from '../auth/consent-policy.js';
import { routes } from '../http/routes.js';
import type { AuthorizationRequest } from '../oidc/authorization-request.js';
import { issueCode, type CodeIssuer } from '../oidc/authorization-response.js';
import type { ConsentRecord, SessionRecord } from '../store/records.js';

export interface ConsentNeed {
  /** The scopes the person must allow first, in the request's order; [] when the code may be issued now. */
  ask: string[];
  /** The stored consent of this person and application; null when there is none, or it was not read. */
  consent: ConsentRecord | null;
}

/** What `userId` must still allow before `request` gets a code. */
export async function consentNeed(deps: Pick<CodeIssuer, 'store'>, request: AuthorizationRequest, userId: string): Promise<ConsentNeed> {
  if (!readsConsent(request)) return { ask: [], consent: null };
  const consent = await deps.store.consents.find(userId, request.client.clientId);
  return { ask: scopesToAsk(request, consent), consent };
}

/** The consent page of the pending request `requestId`, under the issuer's base path. */
export function consentUrl(basePath: string, requestId: string): string {
  return `${basePath}${routes.consent}?${new URLSearchParams({ request: requestId }).toString()}`;
}

/** The pending request id a URL of ours names in `request` (the login URL startPendingRequest returns). */
export function requestIdOf(url: string): string {
  return new URL(url, 'http://gatehouse.invalid').searchParams.get('request') ?? '';
}

/**
 * The code of a request that needs no (more) consent; the stored consent it was issued under, if any, is marked
 * used. Returns the redirect to the application.
 */
export async function codeUnderConsent(deps: CodeIssuer, request: AuthorizationRequest, session: SessionRecord, need: ConsentNeed): Promise<string> {
  if (need.consent) await deps.store.consents.touch(session.userId, request.client.clientId, deps.clock.now());
  return issueCode(deps, request, session);
}
