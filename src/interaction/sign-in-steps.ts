// A sign-in as one explicit sequence of named steps (node-oidc-provider's interaction policy is the model: a prompt
// made of checks). Once a first factor is proven (a password: login.ts; a passkey: passkey-sign-in.ts), `proceed`
// runs the steps in order. Each decides one of:
// - 'continue': nothing to ask, the next step runs;
// - 'answered': it answered the browser itself (showed its page, sent it on to one, or refused). When its page is
//   done, the step's own handler calls `proceed` again from after itself (`resumeAfter`).
// After the last step the sign-in completes (complete-sign-in.ts: a session, the audit, the code or the page).
// Between pages the only state is the pending request (or `return_to`) and a challenge in the store bound to this
// browser, holding a SignInProgress (sign-in-progress.ts); cookies are set only here in interaction/ and in http/.
// Later steps (access rules, federation links, consent) slot in as one more entry of SIGN_IN_STEPS.
import type { Request, Response } from 'express';
import { completeSignIn } from './complete-sign-in.js';
import { newPasswordStep } from './new-password.js';
import { secondFactorStep } from './second-factor.js';
import type { SignInProgress, SignInStepDependencies } from './sign-in-progress.js';

export type StepDecision = 'continue' | 'answered';

export interface SignInStep {
  /** Names the step for `resumeAfter` and in the challenge that carries the progress to its page. */
  readonly name: StepName;
  run(deps: SignInStepDependencies, req: Request, res: Response, progress: SignInProgress): Promise<StepDecision>;
}

export type StepName = 'second_factor' | 'new_password';

/**
 * The order matters: the second factor comes before the new password, so a password found in a breach corpus
 * alone never lets anyone choose the account's next password (NIST SP 800-63B-4 §3.1.1.2 asks for a change, not
 * for a weaker sign-in). A function, not a constant: the step modules import `proceed` from here in turn.
 */
function signInSteps(): readonly SignInStep[] {
  return [secondFactorStep, newPasswordStep];
}

/**
 * Runs the steps after `resumeAfter` (all of them without it), then completes the sign-in. `respond` sends the
 * browser to a URL (a 303 by default; a passkey's script-driven sign-in answers JSON).
 */
export async function proceed(
  deps: SignInStepDependencies,
  req: Request,
  res: Response,
  progress: SignInProgress,
  resumeAfter: StepName | null = null,
  respond?: (url: string) => void,
): Promise<void> {
  const steps = signInSteps();
  const first = resumeAfter === null ? 0 : steps.findIndex((step) => step.name === resumeAfter) + 1;
  for (const step of steps.slice(first)) {
    if ((await step.run(deps, req, res, progress)) === 'answered') return;
  }
  await completeSignIn(deps, req, res, progress.target, progress.user, progress.factors, respond);
}
