// How a federated sign-in that did not work ends (issue 23): the audit record (`signin.federated`), and the page.
// An upstream that refused, failed or was too slow is the person's to hear about plainly, with a way back to the
// login page: the application's pending request is not used up by it, so they can still sign in another way
// (a password, another provider). The page shows the error's public message only; its detail goes to the log.
// In the page's language (issue 25): the message's translation when it carries one; else, on a page not in English,
// a sentence by status naming the provider, with the English message beneath it (marked lang="en").
import type { Request, Response } from 'express';
import type { UpstreamSignInFailed } from '../errors.js';
import { routes } from '../http/routes.js';
import type { Translate } from '../i18n/catalog.js';
import { shownError } from '../i18n/error-text.js';
import { localeOf } from '../i18n/page-locale.js';
import type { IdentityProviderRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { Clock } from '../clock.js';
import { targetClientId, type SignInTarget } from './complete-sign-in.js';
import { loginUrlFor } from './return-to.js';

/** Why a federated sign-in failed, as the audit names it. */
export type FederatedFailureReason =
  'other_browser' | 'provider_mismatch' | 'provider_disabled' | 'upstream_refused' | 'upstream_invalid' | 'upstream_unavailable' | 'upstream_timeout' | 'account_refused' | 'link_required';

/** The reason of a failure at the upstream (UpstreamClient.finishSignIn's error), by its status. */
export function upstreamReason(error: UpstreamSignInFailed): FederatedFailureReason {
  if (error.status === 403) return 'upstream_refused';
  if (error.status === 504) return 'upstream_timeout';
  if (error.status === 502) return 'upstream_unavailable';
  return 'upstream_invalid';
}

interface AuditDependencies {
  store: Store;
  clock: Clock;
}

/**
 * `signin.federated`: a success (the upstream named a Gatehouse account, which then goes on through the sign-in
 * steps; `signin.succeeded` follows once they are done) or a failure with its reason. `subject` is the account
 * when one is known (its owner sees the attempt among their security events).
 */
export async function auditFederated(
  deps: AuditDependencies,
  req: Request,
  provider: Pick<IdentityProviderRecord, 'slug'>,
  target: SignInTarget | null,
  outcome: { userId: string; amr: string[] } | { reason: FederatedFailureReason; userId?: string | null },
): Promise<void> {
  const success = 'amr' in outcome;
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'signin.federated',
    actor: success ? outcome.userId : 'anonymous',
    subject: outcome.userId ?? null,
    clientId: target ? targetClientId(target) : null,
    ip: req.ip ?? null,
    outcome: success ? 'success' : 'failure',
    details: success ? { provider: provider.slug, amr: outcome.amr } : { provider: provider.slug, reason: outcome.reason },
  });
}

/** The login page of this sign-in's target: where the person goes back to sign in another way. */
export function loginPageOf(basePath: string, target: SignInTarget): string {
  if (target.kind === 'page') return loginUrlFor(basePath, target.returnTo);
  return `${basePath}${routes.login}?${new URLSearchParams({ request: target.bound.id }).toString()}`;
}

const ERROR_CODES: Record<UpstreamSignInFailed['status'], string> = {
  400: 'invalid_request',
  403: 'access_denied',
  502: 'upstream_error',
  504: 'upstream_timeout',
};

/** What a person reads of an upstream's failure in a language its message has no translation in, by status. */
function leadOf(t: Translate, status: UpstreamSignInFailed['status'], provider: string): string {
  if (status === 403) return t('federation.lead.refused', { provider });
  if (status === 504) return t('federation.lead.timeout', { provider });
  if (status === 502) return t('federation.lead.unavailable', { provider });
  return t('federation.lead.invalid', { provider });
}

/** The description in the page's language, and the English original when it had to be told in other words. */
function describeFailure(req: Request, provider: Pick<IdentityProviderRecord, 'name'>, error: UpstreamSignInFailed): { description: string; original: string | null } {
  const locale = localeOf(req);
  return shownError(locale, error, error.message, () => leadOf(locale.t, error.status, provider.name));
}

/** The page of a failed federated sign-in, with the way back to the login page when the target is still live. */
export function renderFederationFailure(
  req: Request,
  res: Response,
  basePath: string,
  provider: Pick<IdentityProviderRecord, 'slug' | 'name'>,
  error: UpstreamSignInFailed,
  target: SignInTarget | null,
): void {
  // The detail (what the upstream said, unescaped) goes to the log only.
  // Stryker disable next-line all: a log line only
  const fields = { provider: provider.slug, status: error.status, detail: error.detail };
  // Stryker disable next-line all: a log line only (an upstream down or too slow is the operator's to see)
  if (error.status >= 500) req.log.warn(fields, 'federated sign-in failed');
  // Stryker disable next-line all: a log line only
  else req.log.info(fields, 'federated sign-in failed');
  res.setHeader('Cache-Control', 'no-store');
  res.status(error.status);
  res.render('federation-error', {
    title: localeOf(req).t('federation.title'),
    ...describeFailure(req, provider, error),
    status: error.status,
    error: ERROR_CODES[error.status],
    requestId: req.id,
    backUrl: target ? loginPageOf(basePath, target) : null,
  });
}
