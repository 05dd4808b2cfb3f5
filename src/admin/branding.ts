// The Branding screen (issue 25): the organisation's name, colour, logo, favicon and extra stylesheet, saved over
// the BRAND_* configuration field by field (src/branding/brand-save.ts has the rules; src/branding/brand-service.ts
// makes every page show the result at once). Every change is sensitive (recent-sign-in.ts): the login page's name
// and look are what people trust it by, and the stylesheet can restyle every page. A colour below WCAG AA contrast,
// a file that is no image or too large, and a save over another administrator's are refused, writing nothing.
// The live preview is a mock login card styled by GET /admin/branding/preview.css?color=… (the colour's variables
// scoped to the card; a colour that is refused styles nothing), which public/admin-branding.js points at what
// is typed; it also shows the name and a chosen logo as typed. No inline script or style: the CSP stays strict.
import type { NextFunction, Request, Response, Router } from 'express';
import { brandingProblem, saveBranding, BrandingConflict } from '../branding/brand-save.js';
import { brandsOf, type BrandService, type ConfiguredBrand } from '../branding/brand-service.js';
import { previewCss } from '../branding/brand-theme.js';
import { IMAGE_TYPES_TEXT, MAX_IMAGE_BYTES } from '../branding/brand-image.js';
import { MAX_BRAND_CSS_BYTES, MAX_BRAND_NAME_LENGTH } from '../branding/brand-config.js';
import { brandContrast, LIGHT_BACKGROUND, MIN_TEXT_CONTRAST, WHITE } from '../branding/contrast.js';
import { ValidationError } from '../errors.js';
import { routes } from '../http/routes.js';
import type { BrandImage, BrandingRecord } from '../store/records.js';
import { BrandingUploadRefused, uploadedFiles } from './branding-upload.js';
import { brandingChangeOf, expectedVersionOf, readBrandingForm, savedForm, type BrandingErrors, type BrandingForm } from './branding-form.js';
import { noticeFor } from './client-pages.js';
import { adminOf, type AdminDependencies } from './context.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { formatTime, renderAdmin } from './render.js';

const NOTICES: Record<string, string> = {
  saved: 'The branding was saved. Every page and mail shows it now.',
  unchanged: 'Nothing was changed: the form held the saved branding.',
};

/** The default accent of public/gatehouse.css, which the preview shows when no colour is set. */
const DEFAULT_ACCENT = '#2f5bd3';

export function brandingPath(deps: AdminDependencies, suffix = ''): string {
  return `${deps.config.basePath}${routes.admin}/branding${suffix}`;
}

function brandsFor(deps: AdminDependencies): BrandService {
  return brandsOf(deps.config, deps.store, deps.clock, { logger: deps.logger });
}

const TYPE_NAMES: Record<BrandImage['contentType'], string> = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/gif': 'GIF',
  'image/webp': 'WebP',
  'image/svg+xml': 'SVG',
  'image/x-icon': 'ICO',
};

function imageText(image: BrandImage): string {
  return `${TYPE_NAMES[image.contentType]}, ${Math.max(1, Math.round(image.data.length / 1024))} KiB`;
}

/** What each image field holds now, as an administrator reads it. */
function imageFacts(field: 'logo' | 'favicon', variable: string, saved: BrandingRecord | null, configured: ConfiguredBrand) {
  const uploaded = saved?.[field] ?? null;
  const fromConfig = configured[field];
  return {
    uploaded: uploaded !== null,
    now: uploaded ? `the uploaded ${field} (${imageText(uploaded)})` : fromConfig ? `the configured ${field} (${variable}, ${imageText(fromConfig)})` : `none (${variable} is not set)`,
    configured: fromConfig ? `the configured ${field} (${variable})` : `no ${field} (${variable} is not set)`,
  };
}

/** A colour's contrast, as the screen says it. */
function contrastText(color: string): string {
  const ratio = brandContrast(color);
  const shown = (Math.floor(ratio * 100) / 100).toFixed(2);
  return ratio >= MIN_TEXT_CONTRAST
    ? `${shown}:1 against the page and the buttons' white text: passes WCAG AA (${MIN_TEXT_CONTRAST}:1)`
    : `${shown}:1: below the ${MIN_TEXT_CONTRAST}:1 WCAG AA requires`;
}

interface PageState {
  form?: BrandingForm;
  errors?: BrandingErrors;
  status?: number;
  /** Whether the refused form had files, which a page cannot keep: they must be chosen again. */
  filesLost?: boolean;
}

async function renderPage(deps: AdminDependencies, req: Request, res: Response, state: PageState = {}): Promise<void> {
  const brands = brandsFor(deps);
  const [saved, configured, brand] = await Promise.all([deps.store.branding.get(), brands.configured(), brands.current()]);
  const status = state.status ?? 200;
  // A refused save shows what was typed, on the version it was typed on; anything else, the saved brand.
  const form = state.form ?? savedForm(saved);
  const typedColour = form.color === '' ? null : (form.color.startsWith('#') ? form.color : `#${form.color}`).toLowerCase();
  const previewColour = typedColour !== null && brandingProblem({ color: typedColour }) === null ? typedColour : (configured.color ?? null);
  const effectiveColour = saved?.color ?? configured.color;
  renderAdmin(
    res,
    'branding/index',
    {
      title: 'Branding',
      section: 'branding',
      notice: status === 200 ? noticeFor(req, NOTICES) : null,
      form,
      errors: state.errors ?? {},
      filesLost: state.filesLost === true,
      action: brandingPath(deps),
      limits: { nameLength: MAX_BRAND_NAME_LENGTH, imageKiB: MAX_IMAGE_BYTES / 1024, cssKiB: MAX_BRAND_CSS_BYTES / 1024, imageTypes: IMAGE_TYPES_TEXT },
      configured: {
        name: deps.config.brand.name === null ? `${configured.name} (Gatehouse’s own: BRAND_NAME is not set)` : `${configured.name} (BRAND_NAME)`,
        nameValue: configured.name,
        color: configured.color === null ? 'the default blue (BRAND_COLOR is not set)' : `${configured.color} (BRAND_COLOR)`,
        css: deps.config.brand.cssFile === null ? 'none (BRAND_CSS is not set)' : 'the file BRAND_CSS names',
      },
      facts: {
        color: effectiveColour === null ? null : { value: effectiveColour, contrast: contrastText(effectiveColour) },
        logo: imageFacts('logo', 'BRAND_LOGO', saved, configured),
        favicon: imageFacts('favicon', 'BRAND_FAVICON', saved, configured),
        updated: saved ? { at: formatTime(saved.updatedAt), version: saved.version } : null,
      },
      preview: {
        stylesheet: brandingPath(deps, `/preview.css${previewColour ? `?color=${encodeURIComponent(previewColour)}` : ''}`),
        base: brandingPath(deps, '/preview.css'),
        name: form.name || configured.name,
        configuredName: configured.name,
        pickerColour: previewColour ?? DEFAULT_ACCENT,
        logoUrl: brand.logoUrl,
        configuredColour: configured.color ?? '',
        surfaces: `${WHITE} ${LIGHT_BACKGROUND}`,
        minContrast: MIN_TEXT_CONTRAST,
      },
    },
    status,
  );
}

function page(deps: AdminDependencies) {
  return (req: Request, res: Response): Promise<void> => renderPage(deps, req, res);
}

/** The answer to a stale sign-in without the right password: the form again, its files to be chosen again. */
function passwordRefused(deps: AdminDependencies) {
  return async (req: Request, res: Response, refusal: { error: string | null; status: number }): Promise<void> => {
    const files = uploadedFiles(req);
    await renderPage(deps, req, res, {
      form: readBrandingForm(req.body),
      errors: { confirm_password: refusal.error ?? 'You signed in more than 15 minutes ago: enter your password to save the branding.' },
      status: refusal.status,
      filesLost: Object.keys(files).length > 0,
    });
  };
}

/** POST /admin/branding: saves the change, or shows the form again with why not (writing nothing). */
function save(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = readBrandingForm(req.body);
    const files = uploadedFiles(req);
    const filesLost = Object.keys(files).length > 0;
    let changed: string[];
    try {
      const change = brandingChangeOf(form, files, req.body);
      const expected = expectedVersionOf(form);
      ({ changed } = await saveBranding({ store: deps.store, clock: deps.clock, brands: brandsFor(deps), actor: adminOf(res).user.id, ip: req.ip ?? null }, change, expected));
    } catch (error) {
      if (error instanceof BrandingConflict) {
        // The other administrator's brand, on its version: the change is made again on it.
        await renderPage(deps, req, res, { errors: { form: error.message }, status: 409, filesLost });
        return;
      }
      if (!(error instanceof ValidationError)) throw error;
      const field = (['name', 'color', 'logo', 'favicon', 'css'] as const).find((name) => name === error.field) ?? 'form';
      await renderPage(deps, req, res, { form, errors: { [field]: error.message }, status: 400, filesLost });
      return;
    }
    res.redirect(303, brandingPath(deps, changed.length === 0 ? '?done=unchanged' : '?done=saved'));
  };
}

/** GET /admin/branding/preview.css?color=%23rrggbb: the mock card's look in that colour; a refused colour styles nothing. */
function preview() {
  return (req: Request, res: Response): void => {
    const raw = typeof req.query.color === 'string' ? req.query.color.toLowerCase() : '';
    const usable = raw !== '' && brandingProblem({ color: raw }) === null;
    res.setHeader('Content-Type', 'text/css; charset=utf-8');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.status(200).send(`${PREVIEW_LAYOUT}${usable ? previewCss(raw) : `/* No colour: ${raw === '' ? 'none given' : 'refused'}; the default look. */\n`}`);
  };
}

/** The mock login card's own layout (public/gatehouse.css styles the real pages; this card is only on this screen). */
const PREVIEW_LAYOUT = `/* The admin Branding screen's preview: a mock login card. */
.brand-preview {
  max-width: 24rem;
  padding: 1rem;
  border: 1px dashed color-mix(in srgb, var(--fg) 40%, transparent);
  border-radius: 0.75rem;
  background: var(--bg);
  color: var(--fg);
}
.brand-preview-header {
  display: flex;
  align-items: center;
  gap: 0.5rem;
  margin-block-end: 0.75rem;
  font-weight: 700;
}
.brand-preview-header img[hidden] {
  display: none;
}
.brand-preview-title {
  margin: 0;
  font-size: 1.4rem;
  font-weight: 700;
}
.brand-preview-input {
  display: block;
  margin-block-start: 0.75rem;
  padding: 0.6rem 0.75rem;
  border: 1px solid color-mix(in srgb, var(--fg) 30%, transparent);
  border-radius: 0.5rem;
  color: var(--muted);
}
.brand-preview-link {
  display: inline-block;
  margin-block-start: 0.75rem;
  color: var(--accent);
  text-decoration: underline;
}
.brand-preview-button {
  display: block;
  margin-block-start: 1rem;
  padding: 0.7rem;
  border-radius: 0.5rem;
  background: var(--accent);
  color: var(--on-accent, #fff);
  font-weight: 600;
  text-align: center;
}
`;

/** A body the upload parser refused: the screen again with the error at its field, nothing written. */
function uploadRefused(deps: AdminDependencies) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (!(error instanceof BrandingUploadRefused)) {
      next(error);
      return;
    }
    const field = (['logo', 'favicon', 'css'] as const).find((name) => name === error.field) ?? 'form';
    renderPage(deps, req, res, { errors: { [field]: error.message }, status: 400, filesLost: true }).catch(next);
  };
}

export function brandingRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/branding', page(deps));
  router.get('/branding/preview.css', preview());
  // Every change is sensitive; a refused password shows this form again rather than the confirmation page, which
  // could not carry the chosen files.
  router.post(
    '/branding',
    requireRecentSignIn(deps, () => true, { answer: passwordRefused(deps) }),
    save(deps),
  );
  router.use('/branding', uploadRefused(deps));
}
