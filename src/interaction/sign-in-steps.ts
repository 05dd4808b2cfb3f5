// A sign-in as one explicit sequence of named steps (node-oidc-provider's interaction policy is the model: a prompt
// made of checks). Once a first factor is proven (a password: login.ts; a passkey: passkey-sign-in.ts), `proceed`
// runs the steps in order. Each decides, from the progress alone, one of:
// - 'continue': nothing (left) to ask, the next step runs;
// - 'answered': it answered the browser itself (showed its page, sent it on to one, or refused).
// When a step's page is done, its handler records what it proved in the progress and calls `proceed` again: the
// whole sequence runs again from the start and every step asks afresh whether it still has something to ask (as
// node-oidc-provider re-checks every prompt after an interaction), so no step is skipped because of where the
// sign-in came from.
// After the last step the sign-in completes (complete-sign-in.ts: a session, the audit, the code or the page).
// Between pages the only state is the pending request (or `return_to`) and a challenge in the store bound to this
// browser, holding a SignInProgress (sign-in-progress.ts); cookies are set only here in interaction/ and in http/.
// Later steps (consent) slot in as one more entry of signInSteps().
import type { Request, Response } from 'express';
import { accessStep } from './access-step.js';
import { completeSignIn } from './complete-sign-in.js';
import { linkStep } from './link-step.js';
import { newPasswordStep } from './new-password.js';
import { secondFactorStep } from './second-factor.js';
import type { SignInProgress, SignInStepDependencies } from './sign-in-progress.js';

export type StepDecision = 'continue' | 'answered';

export interface SignInStep {
  /** Names the step in the log. */
  readonly name: StepName;
  /** `viaScript`: the sign-in is driven by a script that expects JSON (a passkey's), not a browser that shows pages. */
  run(deps: SignInStepDependencies, req: Request, res: Response, progress: SignInProgress, viaScript: boolean): Promise<StepDecision>;
}

export type StepName = 'second_factor' | 'new_password' | 'link' | 'access';

/**
 * The order matters: the second factor comes before the new password, so a password found in a breach corpus
 * alone never lets anyone choose the account's next password (NIST SP 800-63B-4 §3.1.1.2 asks for a change, not
 * for a weaker sign-in). The access rule (issue 21) comes last: whether an account may use an application is told
 * only to whoever passed every factor the account owes, not to someone holding its password alone; and a breached
 * password is replaced even by a person the application then refuses (the password is the account's, whatever
 * application they were going to). A pending link to an upstream identity (issue 23, link-step.ts) is made only
 * for whoever passed every factor the account owes, and before the access rule: the identity is theirs whether
 * or not this application admits them. A function, not a constant: the step modules import `proceed` from here in turn.
 */
function signInSteps(): readonly SignInStep[] {
  return [secondFactorStep, newPasswordStep, linkStep, accessStep];
}

/**
 * Runs the steps, then completes the sign-in once none has anything to ask. `respond` sends the browser to a URL
 * (a 303 by default; a passkey's script-driven sign-in answers JSON).
 */
export async function proceed(deps: SignInStepDependencies, req: Request, res: Response, progress: SignInProgress, respond?: (url: string) => void): Promise<void> {
  for (const step of signInSteps()) {
    // Anything but 'continue' stops here: a step that answered, and (failing closed) any other value.
    if ((await step.run(deps, req, res, progress, respond !== undefined)) !== 'continue') {
      // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only
      req.log.debug({ step: step.name }, 'sign-in step answered');
      return;
    }
  }
  await completeSignIn(deps, req, res, progress.target, progress.user, progress.factors, respond, progress.idp ?? null);
}
