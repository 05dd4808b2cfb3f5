// The link step of a sign-in (issue 23). An upstream identity whose email is an existing account's, from a
// provider not authoritative for it, is never linked on the upstream's word: federation-callback.ts leaves a
// 'link' state bound to this browser and that account, and sends the person to the login page. Once they have
// signed in to THAT account here, with every factor it owes (this step runs after the second factor and a
// breached password's replacement), linking.ts consumes the state and links the identity ('proven', audited
// identity.linked). Later sign-ins with the provider then name this account. The session's factors are the
// local ones: the upstream proved nothing at this sign-in.
// It never answers the browser: with no live link state (another account, another browser, expired) nothing
// happens, and the sign-in goes on.
import { completePendingLink } from '../federation/linking.js';
import type { SignInStep } from './sign-in-steps.js';

export const linkStep: SignInStep = {
  // Stryker disable next-line StringLiteral: the name is written to the log only
  name: 'link',
  async run(deps, req, _res, progress) {
    const browser = deps.cookies.read(req, 'browser');
    // Any way into THAT account proves it is theirs: a password, a passkey, a directory, an identity linked before.
    if (browser) await completePendingLink(deps, browser, progress.user, req);
    return 'continue';
  },
};
