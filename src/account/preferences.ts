// "Language and region" on the account page (issue 25): the language the pages and mails use for this person, and
// the time zone their dates are shown in. Saved on the account (users.locale, users.time_zone), so every browser
// they sign in with and every mail sent to them follow it. A form like every other on the page: CSRF-checked,
// parsed by a schema; a language must be one we ship and a time zone one this server's Intl knows (offered in the
// list), else the page comes back with the reason beside the field and nothing is written. A change is audited
// (`user.preferences_changed`, with what changed).
import type { Request, Response } from 'express';
import { NotFoundError } from '../errors.js';
import type { Translate } from '../i18n/catalog.js';
import { validTimeZone } from '../i18n/format.js';
import { isLanguage, LANGUAGE_NAMES, LANGUAGES, languageOfTag, type Language } from '../i18n/languages.js';
import { localeOf, preferAccount } from '../i18n/page-locale.js';
import type { UserRecord } from '../store/records.js';
import { accountPath } from './access.js';
import { accountOf, auditAccount, type AccountDependencies } from './context.js';
import { parseAccountForm, preferencesSchema, type FieldErrors } from './forms.js';
import { renderAccountPage } from './render.js';

/** As long as POST /language keeps the switcher's choice (src/i18n/language-switch.ts). */
const LANGUAGE_COOKIE_SECONDS = 365 * 24 * 60 * 60;

/** The zones offered: UTC, then every IANA zone this Node's Intl supports (CLDR canonical names). */
export const TIME_ZONES: readonly string[] = ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];
const OFFERED = new Set(TIME_ZONES);

/** The zone a form posted, if it is one offered and Intl knows it; '' is "this browser's" (null). */
export function postedTimeZone(value: string): { ok: true; zone: string | null } | { ok: false } {
  if (value === '') return { ok: true, zone: null };
  return OFFERED.has(value) && validTimeZone(value) !== null ? { ok: true, zone: value } : { ok: false };
}

export interface PreferencesView {
  path: string;
  languages: { code: Language; name: string; selected: boolean }[];
  timeZones: { value: string; selected: boolean }[];
  /** No zone saved: the dates follow this browser's (or UTC). */
  automaticZone: boolean;
  /** The zone the page's dates are in now. */
  currentZone: string;
}

/** What the section shows: the saved values, or what a refused form posted. */
export function preferencesView(
  deps: Pick<AccountDependencies, 'config'>,
  req: Request,
  user: Pick<UserRecord, 'locale' | 'timeZone'>,
  posted?: { lang?: string; timeZone?: string },
): PreferencesView {
  const locale = localeOf(req);
  const language = posted?.lang ?? languageOfTag(user.locale ?? '') ?? locale.language;
  const zone = posted?.timeZone ?? user.timeZone ?? '';
  return {
    path: accountPath(deps, '/preferences'),
    languages: LANGUAGES.map((code) => ({ code, name: LANGUAGE_NAMES[code], selected: code === language })),
    timeZones: TIME_ZONES.map((value) => ({ value, selected: value === zone })),
    automaticZone: zone === '',
    currentZone: locale.dates.timeZone,
  };
}

function refusals(t: Translate, lang: string, timeZone: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!isLanguage(lang)) errors.lang = t('account.errors.languageInvalid');
  if (!postedTimeZone(timeZone).ok) errors.time_zone = t('account.errors.timeZoneInvalid');
  return errors;
}

/** POST /account/preferences (`lang`, `time_zone`: '' for this browser's). */
export function changePreferences(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const form = parseAccountForm(preferencesSchema, req);
    const errors = refusals(localeOf(req).t, form.lang, form.time_zone);
    const zone = postedTimeZone(form.time_zone);
    if (Object.keys(errors).length > 0 || !isLanguage(form.lang) || !zone.ok) {
      await renderAccountPage(deps, req, res, { preferences: { lang: form.lang, timeZone: form.time_zone }, errors: { preferences: errors } }, 400);
      return;
    }
    // The switcher's cookie outranks the account (src/i18n/page-locale.ts): it follows what was chosen here, so this
    // browser shows the language just saved.
    deps.cookies.set(res, 'language', form.lang, LANGUAGE_COOKIE_SECONDS);
    const changed = [...(user.locale !== form.lang ? ['locale'] : []), ...(user.timeZone !== zone.zone ? ['time_zone'] : [])];
    if (changed.length === 0) {
      res.redirect(303, accountPath(deps, '?done=unchanged'));
      return;
    }
    const updated = await deps.store.users.update(user.id, { locale: form.lang, timeZone: zone.zone }, deps.clock.now());
    if (!updated) throw new NotFoundError('This account no longer exists.').shown('account.errors.accountGone');
    preferAccount(req, updated);
    await auditAccount(deps, req, user, 'user.preferences_changed', { changed, locale: form.lang, time_zone: zone.zone });
    res.redirect(303, accountPath(deps, '?done=preferences-saved'));
  };
}
