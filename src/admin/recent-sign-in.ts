// Sensitive admin actions need a sign-in within the last 15 minutes (OWASP ASVS V4.3.3 / NIST SP 800-63B
// §4.2.3 style re-authentication): every action by which whoever holds a left-open or stolen admin session could
// take over an account or an application, or change which tokens are trusted:
//   - users: setting a password (anyone's, other administrators' included), changing an email address (an
//     edit whose email differs from the stored one; the address receives reset links), granting admin
//     (at creation or by an edit), resetting second factors, deleting a user;
//   - clients: registering one, changing anything but the name (any URI, the multi-factor rule, who may use it,
//     which groups its tokens carry, the access contact, its keys for private_key_jwt, the APIs it may request
//     or introspect: issue 22), rotating the secret or switching a key client to a secret, deleting one;
//   - APIs (issue 22): changing anything but the name (the identifier is the audience APIs check, the scopes and
//     who may hold tokens decide what tokens grant), deleting one;
//   - groups (issue 21): adding a member (membership opens applications), renaming (a claim applications act
//     on), changing or removing from a group that requires a second factor, deleting one;
//   - attributes: changing a definition's claim or scope, deleting one, setting a person's value (claims that
//     applications act on);
//   - signing keys: a rotation, a revocation;
//   - dynamic registration (issue 24): creating an initial access token (whoever holds it registers applications);
//     switching a client between third-party and first-party is a client edit like any other but the name;
//   - branding (issue 25): any change to the saved brand (its name, logo and look are what people trust the login
//     page by; its stylesheet can hide or restyle anything on every page).
// Not sensitive: renaming a user, a client or an API (the name grants nothing), email verification, disabling,
// enabling and signing out, revoking an initial access token, removing a person's connected app (they take access
// away), creating a group or an API (an API grants nothing until a
// client is granted it), a description, a definition's visibility, clearing a value, and reading anything.
// A stale session's form is answered with a page asking for the password, which posts the same fields back with
// it; the action then goes ahead. Forms can also carry the password up front (`confirm_password`,
// views/admin/partials/confirm-password.ejs, optional-confirm-password.ejs for forms sensitive only sometimes).
import type { NextFunction, Request, Response } from 'express';
import { checkPasswordThrottled, retryAfterSeconds, tryAgainIn } from '../auth/throttle.js';
import { adminOf, type AdminDependencies } from './context.js';
import { renderAdmin } from './render.js';

/** Fields never echoed back into the confirmation page. */
const NOT_ECHOED = new Set(['csrf', 'confirm_password']);
/** A new password (a new user's, or a user's new one) is asked for again rather than copied into the page. */
const SECRET_FIELDS = new Set(['password']);

/**
 * Whether this request is sensitive. It may read the store (whether an edit changes the stored email); an error
 * it throws (an unknown id: a 404) is answered before any password is asked for.
 */
export type SensitivePredicate = (req: Request, res: Response) => boolean | Promise<boolean>;

export interface RecentSignInOptions {
  /** The label of a secret field asked for again on the confirmation page (SECRET_FIELDS). */
  retypeLabel?: string;
  /**
   * Answers instead of the confirmation page, for a form it cannot post back (an upload: a page cannot hold the
   * chosen files): the route shows its own form again, with `error` (null: the password was missing) at its
   * password field, under `status`.
   */
  answer?: (req: Request, res: Response, refusal: { error: string | null; status: number }) => Promise<void>;
}

export function requireRecentSignIn(deps: AdminDependencies, isSensitive: SensitivePredicate = () => true, options: RecentSignInOptions = {}) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const admin = adminOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (admin.recentSignIn || !(await isSensitive(req, res))) {
      delete body.confirm_password;
      next();
      return;
    }
    const password = typeof body.confirm_password === 'string' ? body.confirm_password : '';
    delete body.confirm_password;
    let error: string | null = null;
    let status = 403;
    // Throttled like a sign-in to the same account: a stolen admin session cannot be used to guess the password.
    const check = password ? await checkPasswordThrottled(deps.throttle, admin.user.email, req.ip, admin.user.passwordHash, password) : null;
    const now = deps.clock.now();
    if (check?.outcome === 'throttled') {
      const { by, retryAt } = check.refusal;
      await deps.store.audit.append({
        at: now,
        type: 'signin.throttled',
        actor: admin.user.id,
        subject: admin.user.id,
        ip: req.ip ?? null,
        outcome: 'failure',
        details: { by, reauthentication: true },
      });
      error = `Too many failed attempts. Try again ${tryAgainIn(retryAt, now)}.`;
      status = 429;
      res.setHeader('Retry-After', String(retryAfterSeconds(retryAt, now)));
    } else if (check?.outcome === 'match') {
      await deps.store.sessions.reauthenticate(admin.session.idHash, now);
      await deps.store.audit.append({ at: now, type: 'admin.reauthenticated', actor: admin.user.id, subject: admin.user.id, ip: req.ip ?? null, details: { sid: admin.session.sid } });
      admin.recentSignIn = true;
      next();
      return;
    } else if (check) {
      await deps.store.audit.append({
        at: now,
        type: 'admin.reauthentication_failed',
        actor: admin.user.id,
        subject: admin.user.id,
        ip: req.ip ?? null,
        outcome: 'failure',
        details: { sid: admin.session.sid },
      });
      error = 'That password is not correct.';
    }
    if (options.answer) {
      await options.answer(req, res, { error, status });
      return;
    }
    const fields = Object.entries(body)
      .filter(([name]) => !NOT_ECHOED.has(name) && !SECRET_FIELDS.has(name))
      .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string').map((v) => ({ name, value: v })));
    const retype = [...SECRET_FIELDS].filter((name) => typeof body[name] === 'string' && body[name] !== '').map((name) => ({ name, label: options.retypeLabel ?? 'The new password, once more' }));
    renderAdmin(res, 'confirm-password', { title: 'Confirm it’s you', section: 'dashboard', action: req.originalUrl, fields, retype, error }, status);
  };
}
