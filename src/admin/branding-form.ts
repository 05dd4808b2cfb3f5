// The Branding form (branding.ts, issue 25): what was typed, kept as typed so that a refused form comes back as it
// was sent, and turned into a change of the saved brand (src/branding/brand-save.ts decides the rules). Each field
// left empty means "as configured" (BRAND_NAME, BRAND_COLOR, BRAND_CSS; Gatehouse's own when unset); an uploaded
// logo or favicon is removed, back to the configured one, with its "use the configured one" box. The form carries
// the saved version it was made from, so that a save over another administrator's is refused.
import type { BrandingChange } from '../branding/brand-save.js';
import { ValidationError } from '../errors.js';
import type { BrandingRecord } from '../store/records.js';
import { bodyOf, shown } from './client-form-text.js';

export interface BrandingForm {
  name: string;
  color: string;
  css: string;
  logoDefault: boolean;
  faviconDefault: boolean;
  /** The saved version the form was made from, as sent. */
  version: string;
}

/** Messages by field id: the form's fields, `confirm_password`, or `form` for one that names no field. */
export type BrandingErrors = Partial<Record<'name' | 'color' | 'logo' | 'favicon' | 'css' | 'confirm_password' | 'form', string>>;

/** The form of the saved brand: its values, empty where the configuration's apply. */
export function savedForm(saved: BrandingRecord | null): BrandingForm {
  return { name: saved?.name ?? '', color: saved?.color ?? '', css: saved?.css ?? '', logoDefault: false, faviconDefault: false, version: String(saved?.version ?? 0) };
}

/** What was posted, for redisplay; never throws. */
export function readBrandingForm(body: unknown): BrandingForm {
  const form = bodyOf(body);
  return {
    name: shown(form, 'name').trim(),
    color: shown(form, 'color').trim(),
    // A textarea sends CRLF line breaks (HTML's form submission); the stylesheet is kept with LF.
    css: shown(form, 'css').replace(/\r\n?/g, '\n'),
    logoDefault: shown(form, 'logo_default') === 'on',
    faviconDefault: shown(form, 'favicon_default') === 'on',
    version: shown(form, 'version').trim(),
  };
}

/** The version the form was made from; a form without one is not this page's. */
export function expectedVersionOf(form: BrandingForm): number {
  if (!/^\d{1,15}$/.test(form.version)) throw new ValidationError('form', 'The form does not say which saved branding it changes. Reload the page and make the change again.');
  return Number(form.version);
}

/** `#rrggbb` in lower case; the # may be left out, as colour pickers of other tools copy it. */
function colourOf(text: string): string {
  const colour = text.startsWith('#') ? text : `#${text}`;
  return colour.toLowerCase();
}

/**
 * The change the form asks for. `files` holds the logo and favicon chosen; a field sent twice is not from this
 * form, and a file chosen with its "use the configured one" box ticked asks for two things at once: both refused.
 */
export function brandingChangeOf(form: BrandingForm, files: Partial<Record<'logo' | 'favicon', Buffer>>, body?: unknown): BrandingChange {
  for (const name of ['name', 'color', 'css', 'version', 'logo_default', 'favicon_default'] as const) {
    if (body !== undefined && Array.isArray(bodyOf(body)[name])) throw new ValidationError(name.replace(/_default$/, ''), 'This field was sent more than once.');
  }
  const change: BrandingChange = {
    name: form.name === '' ? null : form.name,
    color: form.color === '' ? null : colourOf(form.color),
    css: form.css.trim() === '' ? null : form.css,
  };
  for (const field of ['logo', 'favicon'] as const) {
    const useConfigured = field === 'logo' ? form.logoDefault : form.faviconDefault;
    const file = files[field];
    if (file && useConfigured) throw new ValidationError(field, `Choose a new ${field} or the configured one, not both.`);
    if (useConfigured) change[field] = null;
    else if (file) change[field] = file;
  }
  return change;
}
