// Whose consent an authorization request needs, and for which scopes (issue 24, OIDC Core §3.1.2.4). The
// organisation's own applications (first-party, today's behaviour) are trusted by the administrator who registered
// them: no screen, and offline_access granted as before (OIDC Core §11 lets "other conditions for processing the
// request permitting offline access" stand in for a consent; the administrator's registration is that condition).
// A third party's application asks the person for every scope they have not already allowed it; `prompt=consent`
// asks again for everything, of any application (the application wants the person to confirm). A decision is
// pure: the caller reads the stored consent (ConsentRepository.find) only when `readsConsent` says it matters, so
// a first-party sign-in costs no query.
import type { ClientRecord, ConsentRecord } from '../store/records.js';

/** What the decision reads of the authorization request. */
export interface ConsentRequest {
  client: Pick<ClientRecord, 'thirdParty'>;
  /** The scopes the request would be granted (AuthorizationRequest.scope). */
  scope: readonly string[];
  prompt: ReadonlySet<string>;
}

/** Whether the stored consent can change the answer: a third-party application, or prompt=consent. */
export function readsConsent(request: ConsentRequest): boolean {
  return request.client.thirdParty || request.prompt.has('consent');
}

/**
 * The scopes the person must be asked for before a code is issued, in the request's order; [] for none (the code
 * is issued at once). `consent` is the stored consent of this person and application (null for none).
 */
export function scopesToAsk(request: ConsentRequest, consent: Pick<ConsentRecord, 'scopes'> | null): string[] {
  if (request.prompt.has('consent')) return [...request.scope];
  if (!request.client.thirdParty) return [];
  const allowed = new Set(consent?.scopes ?? []);
  return request.scope.filter((scope) => !allowed.has(scope));
}
