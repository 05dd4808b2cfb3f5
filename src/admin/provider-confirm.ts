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
    const kept: Record<string, unknown> = {};
    for (const field of SECRET_FIELDS) {
      if (!Object.hasOwn(body, field)) continue;
      kept[field] = body[field];
      delete body[field];
    }
    const typed = Object.values(kept).some((value) => value !== '');
    res.locals.providerSecretTyped = typed;
    if (typed) body[WITHHELD_FIELD] = '1';
    let passed = false;
    await guard(req, res, () => {
      passed = true;
    });
    if (!passed) return;
    // Going ahead: the action gets the form as it was sent.
    Object.assign(body, kept);
    if (!relayed) delete body[WITHHELD_FIELD];
    next();
  };
}
