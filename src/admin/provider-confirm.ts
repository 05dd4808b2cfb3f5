// The recent sign-in of the providers screens (recent-sign-in.ts), without ever putting a provider's secret in a page.
// A stale sign-in's sensitive form is answered with a page that asks for the password and posts every other field
// back as hidden inputs; recent-sign-in.ts withholds only a field named `password`. A client secret or a bind
// password is therefore taken out of the form before that page can see it, and the page carries `secret_withheld`
// instead: the form posted back after the password then asks for the secret again (writing nothing) rather than
// going on without it, which on an edit would silently keep the old secret.
import type { NextFunction, Request, Response } from 'express';
import { bodyOf } from './client-form-text.js';
import { SECRET_FIELDS } from './provider-forms.js';
import type { ProviderDependencies } from './provider-pages.js';
import { requireRecentSignIn, type SensitivePredicate } from './recent-sign-in.js';

/** The hidden field the password page carries in place of a secret it must not hold. */
export const WITHHELD_FIELD = 'secret_withheld';

/** Whether a secret was typed into this request's form (read by the predicates: a new secret is a sensitive change). */
export function secretTyped(res: Response): boolean {
  return res.locals.providerSecretTyped === true;
}

/** Whether the form came back from the password page without the secret that was typed before it. */
export function secretWithheld(body: unknown): boolean {
  return Object.hasOwn(bodyOf(body), WITHHELD_FIELD);
}

export function requireRecentSignInForProvider(deps: ProviderDependencies, isSensitive: SensitivePredicate = () => true) {
  const guard = requireRecentSignIn(deps, isSensitive);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const body = bodyOf(req.body);
    const relayed = secretWithheld(body);
    const kept = Object.fromEntries(Object.entries(body).filter(([name]) => SECRET_FIELDS.includes(name)));
    const typed = Object.values(kept).some((value) => value !== '');
    res.locals.providerSecretTyped = typed;
    req.body = { ...Object.fromEntries(Object.entries(body).filter(([name]) => !SECRET_FIELDS.includes(name))), ...(typed ? { [WITHHELD_FIELD]: '1' } : {}) };
    // The guard either calls next (a recent sign-in, or a password confirmed now) or answers with the password page.
    const passed = await new Promise<boolean>((resolve, reject) => {
      guard(req, res, () => {
        resolve(true);
      }).then(() => {
        resolve(false);
      }, reject);
    });
    if (!passed) return;
    // Going ahead: the action gets the form as it was sent (less the password the guard took).
    const checked = bodyOf(req.body);
    req.body = { ...Object.fromEntries(Object.entries(checked).filter(([name]) => relayed || name !== WITHHELD_FIELD)), ...kept };
    next();
  };
}
