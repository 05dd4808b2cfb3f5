// POST /language: the switcher on every page a person sees (issue 25). Remembers the choice in a cookie on this
// browser (a year) and, when someone is signed in, on their account (so mails follow it), then returns to the
// page. A form like every other: CSRF-checked (bound to the browser cookie), the language one we ship, the return
// path one of ours; a refusal changes nothing.
import type { Request, Response } from 'express';
import type { Sessions } from '../auth/sessions.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';
import type { Cookies } from '../http/cookies.js';
import { checkBrowserCsrf, field } from '../interaction/browser-csrf.js';
import type { Store } from '../store/store.js';
import { isLanguage } from './languages.js';
import { LANGUAGE_FORM_PURPOSE } from './localization.js';
import { safeReturnPath } from './return-path.js';

const CSRF_REFUSALS = { noCookie: 'language.noCookie', expired: 'language.formExpired' };
const LANGUAGE_COOKIE_SECONDS = 365 * 24 * 60 * 60;

export interface LanguageSwitchDependencies {
  config: Config;
  cookies: Cookies;
  sessions: Sessions;
  store: Store;
  clock: Clock;
}

export function languageSwitch({ config, cookies, sessions, store, clock }: LanguageSwitchDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    checkBrowserCsrf(cookies, req, LANGUAGE_FORM_PURPOSE, 'Reload the page and choose the language again.', CSRF_REFUSALS);
    const language = field(req, 'lang');
    if (!isLanguage(language)) throw new ValidationError('lang', 'that language is not available').shown('language.unavailable');
    const returnTo = safeReturnPath(field(req, 'return_to'), config.basePath) ?? `${config.basePath}/`;
    cookies.set(res, 'language', language, LANGUAGE_COOKIE_SECONDS);
    const active = await sessions.current(req);
    if (active && active.user.locale !== language) await store.users.update(active.user.id, { locale: language }, clock.now());
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, returnTo);
  };
}
