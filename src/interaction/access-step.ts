// The access step of a sign-in (issue 21): an application that admits only the members of some groups
// (src/auth/access-rules.ts) refuses everyone else here, once they have proved who they are. The sign-in ends
// without a session: the pending request is used up, the refusal audited (signin.denied), and the person sees
// "You don't have access to <application>" with whom to ask and a way back that tells the application
// (access-denied.ts). Sign-ins to our own pages (account, admin) have no application and are never refused here.
import { mayUse, restricted } from '../auth/access-rules.js';
import { restoreRequest } from '../oidc/authorization-request.js';
import { accessDeniedMessage, renderAccessDenied } from './access-denied.js';
import { expiredSignIn } from './complete-sign-in.js';
import { refuseJson } from './passkey-sign-in.js';
import { auditAccessDenied } from './sign-in-audit.js';
import { personGroups } from './sign-in-progress.js';
import type { SignInStep } from './sign-in-steps.js';

export const accessStep: SignInStep = {
  // Stryker disable next-line StringLiteral: the name is written to the log only
  name: 'access',
  async run(deps, req, res, progress, viaScript) {
    const { target, user } = progress;
    // An application open to everyone needs no groups (and no query).
    if (target.kind !== 'application' || !restricted(target.client)) return 'continue';
    // As the store has them now: the client was read at this request (targetOf), the groups are read here.
    if (mayUse(target.client, await personGroups(deps, progress))) return 'continue';
    // One winner: a form sent twice is refused once, and the second finds the request used.
    const record = await deps.store.authorizationRequests.consume(target.bound.record.idHash, deps.clock.now());
    if (!record) throw expiredSignIn();
    await auditAccessDenied(deps, req, user.id, target.client.clientId);
    if (viaScript) {
      // A passkey's sign-in is driven by a script on the login page, which shows the message (no page can be sent).
      refuseJson(res, 403, 'access_denied', accessDeniedMessage(req, deps.config, target.client));
      return 'answered';
    }
    const request = restoreRequest(target.client, record.params);
    renderAccessDenied(deps, req, res, target.client, user, { redirectUri: request.redirectUri, state: request.state });
    return 'answered';
  },
};
