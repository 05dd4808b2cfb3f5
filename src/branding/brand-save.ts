// The rules of a change to the saved brand (issue 25), whoever makes it (the admin "Branding" screen today): each
// field is checked as configuration checks BRAND_* (src/branding/brand-config.ts) — the colour for WCAG AA contrast,
// images by their bytes and size, the stylesheet by its size — and a refused change writes nothing. A change is one
// conditional write on the version the administrator saw: of two administrators saving the same version, the
// second is refused (BrandingConflict) rather than silently undoing the first's change. Audited as
// `branding.updated` with the fields changed, never an image's bytes nor the stylesheet's text; then every page's
// brand is read again at once (BrandService.refresh).
import type { Clock } from '../clock.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { BrandImage, BrandingPatch, BrandingRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { brandNameProblem, MAX_BRAND_CSS_BYTES } from './brand-config.js';
import { brandImageOf, brandImageProblem } from './brand-image.js';
import type { BrandService } from './brand-service.js';
import { brandColourProblem } from './contrast.js';

export type BrandingField = 'name' | 'color' | 'logo' | 'favicon' | 'css';

/** The order fields are checked and listed in. */
export const BRANDING_FIELDS: readonly BrandingField[] = ['name', 'color', 'logo', 'favicon', 'css'];

/** What a change may set: a value, null (back to the configuration's), or nothing (unchanged). */
export interface BrandingChange {
  name?: string | null;
  color?: string | null;
  /** Raw bytes as uploaded: their type is read from them. */
  logo?: Buffer | null;
  favicon?: Buffer | null;
  css?: string | null;
}

/** Another save came first: the brand the administrator saw is not the saved one any more. */
export class BrandingConflict extends ConflictError {
  constructor() {
    super('Another administrator saved the branding after you opened this page. Their change is shown now; make yours again on it.');
  }
}

export interface BrandingContext {
  store: Store;
  clock: Clock;
  brands: BrandService;
  /** The administrator's user id. */
  actor: string;
  ip: string | null;
}

/** The first refusal of the change, as a ValidationError naming its field; null when every field may be saved. */
export function brandingProblem(change: BrandingChange): ValidationError | null {
  if (typeof change.name === 'string') {
    const problem = brandNameProblem(change.name);
    if (problem) return new ValidationError('name', `The name ${problem}.`);
  }
  if (typeof change.color === 'string') {
    const problem = brandColourProblem(change.color);
    if (problem) return new ValidationError('color', `The colour ${problem}.`);
  }
  for (const field of ['logo', 'favicon'] as const) {
    const data = change[field];
    const problem = data ? brandImageProblem(data) : null;
    if (problem) return new ValidationError(field, `The ${field} ${problem}.`);
  }
  if (typeof change.css === 'string' && Buffer.byteLength(change.css, 'utf8') > MAX_BRAND_CSS_BYTES) {
    return new ValidationError('css', `The extra CSS is longer than ${MAX_BRAND_CSS_BYTES / 1024} KiB.`);
  }
  return null;
}

function sameImage(a: BrandImage | null, b: BrandImage | null): boolean {
  return a === null || b === null ? a === b : a.contentType === b.contentType && a.data.equals(b.data);
}

/** The change as a patch of what differs from the saved row (so an unchanged form writes nothing). */
export function patchOf(change: BrandingChange, saved: BrandingRecord | null): BrandingPatch {
  const patch: BrandingPatch = {};
  if (change.name !== undefined && change.name !== (saved?.name ?? null)) patch.name = change.name;
  if (change.color !== undefined && change.color !== (saved?.color ?? null)) patch.color = change.color;
  if (change.css !== undefined && change.css !== (saved?.css ?? null)) patch.css = change.css;
  for (const field of ['logo', 'favicon'] as const) {
    const data = change[field];
    if (data === undefined) continue;
    const image = data === null ? null : brandImageOf(data);
    // brandingProblem refused bytes that are no image before this is reached.
    if (data !== null && image === null) throw new ValidationError(field, `The ${field} is not an image.`);
    if (!sameImage(image, saved?.[field] ?? null)) patch[field] = image;
  }
  return patch;
}

/** The audit event's details: which fields changed and to what, an image as its type and size only. */
function auditDetails(patch: BrandingPatch, version: number): Record<string, unknown> {
  const changed = BRANDING_FIELDS.filter((field) => field in patch);
  const details: Record<string, unknown> = { changed, version };
  if ('name' in patch) details.name = patch.name;
  if ('color' in patch) details.color = patch.color;
  for (const field of ['logo', 'favicon'] as const) {
    if (field in patch) details[field] = patch[field] ? { type: patch[field].contentType, bytes: patch[field].data.length } : null;
  }
  if ('css' in patch) details.css = patch.css === null || patch.css === undefined ? null : { bytes: Buffer.byteLength(patch.css, 'utf8') };
  return details;
}

export interface BrandingSaved {
  /** The saved row after the change (the one it had when nothing changed). */
  record: BrandingRecord | null;
  changed: BrandingField[];
}

/**
 * Saves the change made on version `expectedVersion` (0: nothing saved yet). Throws the first field's
 * ValidationError, or BrandingConflict when the saved version is another; either way nothing is written.
 */
export async function saveBranding(ctx: BrandingContext, change: BrandingChange, expectedVersion: number): Promise<BrandingSaved> {
  const refusal = brandingProblem(change);
  if (refusal) throw refusal;
  const saved = await ctx.store.branding.get();
  if ((saved?.version ?? 0) !== expectedVersion) throw new BrandingConflict();
  const patch = patchOf(change, saved);
  const changed = BRANDING_FIELDS.filter((field) => field in patch);
  if (changed.length === 0) return { record: saved, changed };
  const now = ctx.clock.now();
  const record = await ctx.store.branding.save(patch, expectedVersion, ctx.actor, now);
  if (!record) throw new BrandingConflict();
  await ctx.store.audit.append({ at: now, type: 'branding.updated', actor: ctx.actor, subject: null, ip: ctx.ip, details: auditDetails(patch, record.version) });
  ctx.brands.refresh();
  return { record, changed };
}
