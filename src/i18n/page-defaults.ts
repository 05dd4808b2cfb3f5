// The locals every view can count on (app.locals), for the rare page rendered without the localization
// middleware: DEFAULT_LOCALE, the default brand, no switcher. res.locals override each per request.
import { defaultBrand } from '../branding/brand.js';
import type { Config } from '../config.js';
import { translatorFor } from './catalog.js';
import { dateFormatter } from './format.js';
import { directionOf } from './languages.js';

export function pageDefaults(config: Pick<Config, 'defaultLocale' | 'brand'>): Record<string, unknown> {
  const language = config.defaultLocale;
  return {
    lang: language,
    dir: directionOf(language),
    t: translatorFor(language),
    dates: dateFormatter(language, null),
    brand: { ...defaultBrand, name: config.brand.name ?? defaultBrand.name },
    languageSwitch: null,
    timeZoneCookie: '',
  };
}
