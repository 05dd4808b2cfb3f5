// The sign-in page: GET shows the form for a pending authorization request, POST checks the credentials,
// starts a session and sends the browser back to the application with a code (303, never 307/308).
import type { Request, Response } from 'express';
import { verifyCredentials } from '../auth/authenticate.js';
import type { Sessions } from '../auth/sessions.js';
import { UntrustedAuthorizationRequest } from '../errors.js';
import { formActionPolicy } from '../http/middleware/security-headers.js';
import { issueCode } from '../oidc/authorization-response.js';
import { restoreRequest } from '../oidc/authorization-request.js';
import type { ClientRecord } from '../store/records.js';
import { checkCsrf, findPendingRequest, type BoundRequest, type PendingDependencies } from './pending-request.js';

export interface LoginDependencies extends PendingDependencies {
  sessions: Sessions;
}

const GENERIC_FAILURE = 'Incorrect email or password.';

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function expired(): UntrustedAuthorizationRequest {
  return new UntrustedAuthorizationRequest('This sign-in link has expired or was already used. Go back to the application and sign in again.');
}

async function pendingFor(deps: LoginDependencies, req: Request, id: string): Promise<{ bound: BoundRequest; client: ClientRecord }> {
  const bound = id ? await findPendingRequest(deps, req, id) : null;
  const client = bound ? await deps.store.clients.findById(bound.record.clientId) : null;
  if (!bound || !client) throw expired();
  return { bound, client };
}

function renderForm(res: Response, bound: BoundRequest, client: ClientRecord, email: string, error: string | null): void {
  res.setHeader('Cache-Control', 'no-store');
  // The form posts here, then we redirect to the application: Chrome applies form-action to that redirect.
  res.setHeader('Content-Security-Policy', formActionPolicy(bound.record.params.redirect_uri ?? ''));
  res.render('login', { title: 'Sign in', clientName: client.name, requestId: bound.id, csrfToken: bound.csrfToken, email, error });
}

export function loginPage(deps: LoginDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { bound, client } = await pendingFor(deps, req, text(req.query.request));
    renderForm(res, bound, client, bound.record.params.login_hint ?? '', null);
  };
}

export function loginSubmit(deps: LoginDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { bound, client } = await pendingFor(deps, req, text(body.request));
    checkCsrf(bound, text(body.csrf));
    const email = text(body.email);
    const user = await verifyCredentials(deps.store, deps.clock, email, text(body.password));
    if (!user) {
      req.log.info({ client: client.clientId }, 'sign-in refused');
      res.status(401);
      renderForm(res, bound, client, email.length <= 254 ? email : '', GENERIC_FAILURE);
      return;
    }
    const record = await deps.store.authorizationRequests.consume(bound.record.idHash, deps.clock.now());
    if (!record) throw expired();
    const session = await deps.sessions.start(req, res, user.id, ['pwd']);
    await deps.store.audit.append({ at: deps.clock.now(), type: 'session.started', actor: user.id, subject: client.clientId, ip: req.ip ?? null, details: {} });
    res.redirect(303, await issueCode(deps, restoreRequest(client, record.params), session));
  };
}
