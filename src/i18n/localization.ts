// The middleware that gives every page a person sees its language, brand and language switcher (issue 25). It
// runs for the HTML routes only (machine endpoints never render), and decides nothing eagerly: `t`, `lang`, `dir`,
// `dates` and `languageSwitch` are getters on res.locals, read when a view renders, so a handler that learns the
// request's ui_locales or the person's account first (src/i18n/page-locale.ts) still decides the language.
import type { NextFunction, Request, Response } from 'express';
import type { Brand, BrandSource } from '../branding/brand.js';
import type { Config } from '../config.js';
import type { Cookies } from '../http/cookies.js';
import { isApiPath, routes } from '../http/routes.js';
import { browserCsrfToken } from '../interaction/browser-csrf.js';
import { LANGUAGE_NAMES, LANGUAGES } from './languages.js';
import { bindLocaleContext, localeOf } from './page-locale.js';
import { returnPathOf } from './return-path.js';

export const LANGUAGE_FORM_PURPOSE = 'language';

export interface LanguageSwitch {
  action: string;
  csrf: string;
  returnTo: string;
  options: { code: string; name: string; selected: boolean }[];
}

export interface LocalizationDependencies {
  config: Pick<Config, 'basePath' | 'defaultLocale'>;
  cookies: Cookies;
  brands: BrandSource;
}

function defineLazy(target: Record<string, unknown>, name: string, read: () => unknown): void {
  Object.defineProperty(target, name, { enumerable: true, configurable: true, get: read });
}

export function localization({ config, cookies, brands }: LocalizationDependencies) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (isApiPath(req.path) || req.path.startsWith(routes.static)) {
      next();
      return;
    }
    bindLocaleContext(req, { cookies, defaultLocale: config.defaultLocale });
    const locals = res.locals as Record<string, unknown>;
    defineLazy(locals, 'lang', () => localeOf(req).language);
    defineLazy(locals, 'dir', () => localeOf(req).dir);
    defineLazy(locals, 't', () => localeOf(req).t);
    defineLazy(locals, 'dates', () => localeOf(req).dates);
    defineLazy(locals, 'timeZoneCookie', () => cookies.name('time_zone'));
    defineLazy(locals, 'languageSwitch', (): LanguageSwitch => {
      const current = localeOf(req).language;
      return {
        action: `${config.basePath}${routes.language}`,
        // Setting the browser cookie here is in time: views render before anything is sent.
        csrf: browserCsrfToken(cookies, req, res, LANGUAGE_FORM_PURPOSE),
        returnTo: returnPathOf(req, config.basePath),
        options: LANGUAGES.map((code) => ({ code, name: LANGUAGE_NAMES[code], selected: code === current })),
      };
    });
    let brand: Brand;
    try {
      brand = await brands.current();
    } catch (error) {
      next(error);
      return;
    }
    locals.brand = brand;
    next();
  };
}
