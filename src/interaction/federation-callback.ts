// GET /federation/<slug>/callback (issue 23): the upstream's answer to federation-start.ts's request. In order:
// - the `state` names a live 'login' state, which is used up here (one winner: a replayed or raced callback finds
//   it gone); it must have been started in this browser (its cookie's hash, compared in constant time) and for
//   this provider: an answer arriving at another provider's callback is refused, the mix-up defence of RFC 9700
//   §4.4.2 (beside RFC 9207 `iss`, which the upstream client checks);
// - the provider is still enabled, and what the sign-in continues (the pending request) is still live;
// - the upstream client checks the answer, redeems the code with the PKCE verifier and verifies the ID token
//   (or reads user-info), and maps the claims (src/federation/upstreams.ts);
// - linking.ts names the Gatehouse account (an existing link, just-in-time, a verified email of an authoritative
//   provider), or asks the person to prove they own the existing account with that email first: then the browser
//   goes to the login page with a notice, and NO session starts;
// - the sign-in goes through its steps (a second factor unless the upstream's own counts, the access rule) with
//   the upstream's factors (`fed`, and `mfa`/`hwk` when trusted) and the provider as the session's `idp`.
// Every outcome once a state is used up is audited (`signin.federated`); before that, a made-up or stale state
// costs nothing but a log line (states are bounded by the starts, which are admitted per address).
import type { Request, Response } from 'express';
import { constantTimeEqual, hashSecret } from '../auth/secrets.js';
import { ForbiddenForm, UntrustedAuthorizationRequest, UpstreamSignInFailed } from '../errors.js';
import { openLoginState, type LoginStateValue } from '../federation/federation-state.js';
import { resolveAccount, upstreamFactors } from '../federation/linking.js';
import { routes } from '../http/routes.js';
import { admitted } from '../oidc/authorize.js';
import type { IdentityProviderRecord } from '../store/records.js';
import { applicationTarget, targetFields, type SignInTarget } from './complete-sign-in.js';
import { auditFederated, renderFederationFailure, upstreamReason, type FederatedFailureReason } from './federation-failure.js';
import { browserProvider, federationCallbackUri } from './federation-providers.js';
import type { LoginDependencies } from './login.js';
import { safeReturnPath } from './return-to.js';
import { proceed } from './sign-in-steps.js';

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function expiredState(): UntrustedAuthorizationRequest {
  return new UntrustedAuthorizationRequest('This sign-in has expired or was already used. Start again.').shown('federation.expired');
}

/**
 * The URL the upstream sent the browser to, as our client must check it: our own redirect URI (from the issuer,
 * never from a Host header a proxy or a client chose) with the query exactly as received.
 */
function callbackUrl(redirectUri: string, originalUrl: string): URL {
  const url = new URL(redirectUri);
  const query = originalUrl.indexOf('?');
  url.search = query === -1 ? '' : originalUrl.slice(query);
  return url;
}

/** What the state says the sign-in continues, checked again as at the start. */
async function stateTarget(deps: LoginDependencies, req: Request, value: LoginStateValue): Promise<SignInTarget> {
  if ('request' in value) return applicationTarget(deps, req, value.request);
  const returnTo = safeReturnPath(deps.config.basePath, value.return_to);
  // Stryker disable next-line ConditionalExpression: unreachable; the start stored only a path it had checked
  if (!returnTo) throw expiredState();
  return { kind: 'page', returnTo };
}

export function federationCallback(deps: LoginDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    const slug = text(req.params.slug);
    const state = text(req.query.state);
    if (!state) throw expiredState();
    if (!(await admitted(deps, req, res, null, 'federation'))) return;
    const record = await deps.store.federationStates.consume(hashSecret(state), 'login', deps.clock.now());
    if (!record) throw expiredState();
    const refuse = async (provider: Pick<IdentityProviderRecord, 'slug'>, reason: FederatedFailureReason, target: SignInTarget | null = null) =>
      auditFederated(deps, req, provider, target, { reason });
    const browser = deps.cookies.read(req, 'browser');
    if (!browser || !constantTimeEqual(hashSecret(browser), record.browserHash)) {
      await refuse({ slug: record.providerSlug }, 'other_browser');
      throw new ForbiddenForm('This sign-in was started in another browser, or this browser does not keep cookies. Start again here.').shown('federation.otherBrowser');
    }
    if (record.providerSlug !== slug) {
      await refuse({ slug: record.providerSlug }, 'provider_mismatch');
      throw new UntrustedAuthorizationRequest('This sign-in answer came back to the wrong provider. Start again.').shown('federation.wrongProvider');
    }
    const provider = await browserProvider(deps.store, slug);
    if (!provider) {
      await refuse({ slug }, 'provider_disabled');
      throw new UntrustedAuthorizationRequest('This sign-in option was turned off. Go back and choose another way to sign in.').shown('federation.optionOff');
    }
    const value = await openLoginState(deps.secretBox, record);
    const target = await stateTarget(deps, req, value);
    await signInWith(deps, req, res, provider, target, browser, { state, nonce: value.nonce, codeVerifier: value.codeVerifier });
  };
}

async function signInWith(
  deps: LoginDependencies,
  req: Request,
  res: Response,
  provider: IdentityProviderRecord,
  target: SignInTarget,
  browser: string,
  expected: { state: string; nonce: string | null; codeVerifier: string },
): Promise<void> {
  const redirectUri = federationCallbackUri(deps.config.issuer, provider.slug);
  let identity;
  try {
    const client = await deps.federation.upstreams.clientFor(provider);
    identity = await client.finishSignIn(callbackUrl(redirectUri, req.originalUrl), expected, redirectUri);
  } catch (error) {
    if (!(error instanceof UpstreamSignInFailed)) throw error;
    await auditFederated(deps, req, provider, target, { reason: upstreamReason(error) });
    renderFederationFailure(req, res, deps.config.basePath, provider, error, target);
    return;
  }
  let resolution;
  try {
    resolution = await resolveAccount(deps, provider, identity, browser, 'browser');
  } catch (error) {
    if (!(error instanceof UpstreamSignInFailed)) throw error;
    await auditFederated(deps, req, provider, target, { reason: 'account_refused' });
    renderFederationFailure(req, res, deps.config.basePath, provider, error, target);
    return;
  }
  if (resolution.kind === 'prove_ownership') {
    // An account with this email exists and the upstream is not authoritative for it: its owner signs in to it
    // once, in this browser, and the link step (link-step.ts) links the identity. Nothing else happens now.
    await auditFederated(deps, req, provider, target, { reason: 'link_required', userId: resolution.user.id });
    const query = new URLSearchParams(targetFields(target));
    query.set('link', provider.slug);
    res.redirect(303, `${deps.config.basePath}${routes.login}?${query.toString()}`);
    return;
  }
  const factors = upstreamFactors(provider, identity);
  await auditFederated(deps, req, provider, target, { userId: resolution.user.id, amr: factors });
  await proceed(deps, req, res, { user: resolution.user, target, factors, flags: [], idp: provider.slug });
}
