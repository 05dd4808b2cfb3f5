// How a form whose current password was not accepted comes back: 400 with the reason next to the field, or,
// when the throttle refused the attempt, 429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3).
import type { Request, Response } from 'express';
import { retryAfterSeconds } from '../auth/throttle.js';
import type { AccountDependencies } from './context.js';
import type { PasswordCheck } from './current-password.js';
import { renderAccountPage, type FormValues } from './render.js';

export async function refuseCurrentPassword(
  deps: AccountDependencies,
  req: Request,
  res: Response,
  form: 'email' | 'password' | 'twoFactor',
  check: Exclude<PasswordCheck, { outcome: 'confirmed' }>,
  values: Partial<FormValues> = {},
): Promise<void> {
  let status = 400;
  if (check.outcome === 'throttled') {
    status = 429;
    res.setHeader('Retry-After', String(retryAfterSeconds(check.retryAt, deps.clock.now())));
  }
  await renderAccountPage(deps, req, res, { values, errors: { [form]: { current_password: check.message } } }, status);
}
