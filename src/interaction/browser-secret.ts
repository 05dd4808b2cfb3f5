// This browser's random secret (the `browser` cookie): what pending sign-ins and the CSRF tokens of anonymous
// forms are bound to. One per browser: a response that must create it creates it once, however many forms on
// the page need it (the page's own form and the language switcher of issue 25), so no second Set-Cookie
// replaces the secret a token on the same page was derived from.
import type { Request, Response } from 'express';
import { randomSecret } from '../auth/secrets.js';
import type { Cookies } from '../http/cookies.js';

const issued = new WeakMap<Response, string>();

/** The browser's secret, from its cookie, else the one this response already set, else a new one (set now). */
export function browserSecretOf(cookies: Cookies, req: Request, res: Response): string {
  const known = cookies.read(req, 'browser') ?? issued.get(res);
  if (known) return known;
  const secret = randomSecret();
  cookies.set(res, 'browser', secret);
  issued.set(res, secret);
  return secret;
}
