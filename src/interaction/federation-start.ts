// GET /federation/<slug>/start (issue 23): the login page's "Continue with <provider>" button, and where
// `gatehouse_provider=<slug>` at /authorize leads. It checks what the sign-in continues (the application's pending
// request, bound to this browser, or one of our own pages), asks the upstream client for an authorization request
// (code flow with PKCE S256, `state`, and `nonce` for OpenID Connect), keeps what the callback will need in a
// sealed, browser-bound, single-use 'login' state (src/federation/federation-state.ts), and sends the browser there.
// Like /authorize it stores a row for anyone who asks, so it is admitted per client address first.
import type { Request, Response } from 'express';
import { NotFoundError, UpstreamSignInFailed } from '../errors.js';
import { storeLoginState, type LoginStateTarget } from '../federation/federation-state.js';
import { admitted } from '../oidc/authorize.js';
import { applicationTarget, invalidSignInLink, type SignInTarget } from './complete-sign-in.js';
import { renderFederationFailure } from './federation-failure.js';
import { browserProvider, federationCallbackUri } from './federation-providers.js';
import type { LoginDependencies } from './login.js';
import { safeReturnPath } from './return-to.js';
import { browserSecretOf } from './browser-secret.js';

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The 404 of a provider that does not exist, is turned off, or is a directory (no browser sign-in). */
export function noSuchProvider(): NotFoundError {
  return new NotFoundError('This sign-in option does not exist. Go back and choose another way to sign in.').shown('federation.noSuchOption');
}

/** What the sign-in continues, from the start URL's query; refused as the login page refuses it. */
async function startTarget(deps: LoginDependencies, req: Request): Promise<{ target: SignInTarget; state: LoginStateTarget; loginHint?: string }> {
  const requestId = text(req.query.request);
  if (requestId) {
    const target = await applicationTarget(deps, req, requestId);
    const loginHint = target.bound.record.params.login_hint;
    return { target, state: { request: requestId }, ...(loginHint ? { loginHint } : {}) };
  }
  const returnTo = safeReturnPath(deps.config.basePath, req.query.return_to);
  if (!returnTo) throw invalidSignInLink();
  return { target: { kind: 'page', returnTo }, state: { return_to: returnTo } };
}

export function federationStart(deps: LoginDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    const provider = await browserProvider(deps.store, req.params.slug);
    if (!provider) throw noSuchProvider();
    const { target, state: where, loginHint } = await startTarget(deps, req);
    if (!(await admitted(deps, req, res, target.kind === 'application' ? target.client.clientId : null, 'federation'))) return;
    // A pending request's browser cookie was checked above; a sign-in to our own pages may be this browser's first visit.
    const browser = browserSecretOf(deps.cookies, req, res);
    let authorization;
    try {
      const client = await deps.federation.upstreams.clientFor(provider);
      authorization = await client.beginSignIn(federationCallbackUri(deps.config.issuer, provider.slug), loginHint ? { loginHint } : undefined);
    } catch (error) {
      // Discovery failed (the upstream is down or too slow): nothing was stored, the person may sign in another way.
      if (!(error instanceof UpstreamSignInFailed)) throw error;
      renderFederationFailure(req, res, deps.config.basePath, provider, error, target);
      return;
    }
    await storeLoginState(deps, {
      state: authorization.state,
      browser,
      providerSlug: provider.slug,
      value: { nonce: authorization.nonce, codeVerifier: authorization.codeVerifier, ...where },
    });
    // Referrer-Policy stays no-referrer (security-headers.ts): the upstream never sees our URL with the request id.
    res.redirect(303, authorization.url);
  };
}
