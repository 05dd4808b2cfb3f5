// The branding table's columns (issue 25, migration 0016: what the admin "Branding" screen saved, one row at most,
// id 1) and how a row becomes a record and a patch becomes columns, shared by every engine.
import type { BrandImage, BrandingPatch, BrandingRecord } from '../records.js';

export interface BrandingRow {
  name: string | null;
  color: string | null;
  /** A BLOB on SQLite, a BYTEA on PostgreSQL: both drivers read a Buffer. */
  logo: Buffer | null;
  logo_type: string | null;
  favicon: Buffer | null;
  favicon_type: string | null;
  css: string | null;
  version: number;
  updated_at: number;
  updated_by: string | null;
}

export const COLUMNS = 'name, color, logo, logo_type, favicon, favicon_type, css, version, updated_at, updated_by';

/** The one row's id: the table's CHECK allows no other. */
export const BRANDING_ID = 1;

/**
 * The bytes as a Buffer. An image that crossed to or from the SQLite writer thread arrives as a plain Uint8Array
 * (structured clone keeps the bytes, not the class): the same memory, viewed as a Buffer again.
 */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function image(data: Buffer | null, type: string | null): BrandImage | null {
  // The table's CHECKs keep the bytes and their type NULL together; only types src/branding checked are written.
  return data === null || type === null ? null : { contentType: type as BrandImage['contentType'], data: asBuffer(data) };
}

export function toRecord(row: BrandingRow): BrandingRecord {
  return {
    name: row.name,
    color: row.color,
    logo: image(row.logo, row.logo_type),
    favicon: image(row.favicon, row.favicon_type),
    css: row.css,
    version: row.version,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** A record that crossed from the SQLite writer thread, its images' bytes as Buffers again (asBuffer). */
export function withBuffers(record: BrandingRecord | null): BrandingRecord | null {
  if (record === null) return null;
  const again = (value: BrandImage | null): BrandImage | null => (value === null ? null : { contentType: value.contentType, data: asBuffer(value.data) });
  return { ...record, logo: again(record.logo), favicon: again(record.favicon) };
}

export type BrandingValue = string | Buffer | null;

/**
 * The columns a patch sets and their values, in COLUMNS order: an absent field sets nothing (the saved value stays),
 * null sets NULL ("as configured"). An image sets its bytes and its type together.
 */
export function patchColumns(patch: BrandingPatch): [string, BrandingValue][] {
  const columns: [string, BrandingValue][] = [];
  if (patch.name !== undefined) columns.push(['name', patch.name]);
  if (patch.color !== undefined) columns.push(['color', patch.color]);
  for (const field of ['logo', 'favicon'] as const) {
    const value = patch[field];
    if (value === undefined) continue;
    columns.push([field, value === null ? null : asBuffer(value.data)], [`${field}_type`, value === null ? null : value.contentType]);
  }
  if (patch.css !== undefined) columns.push(['css', patch.css]);
  return columns;
}

/**
 * The first save's values for name, color, logo, logo_type, favicon, favicon_type and css (COLUMNS order): the
 * patch's fields, every absent one NULL (nothing was saved before it to keep).
 */
export function firstValues(patch: BrandingPatch): BrandingValue[] {
  const set = new Map(patchColumns(patch));
  return ['name', 'color', 'logo', 'logo_type', 'favicon', 'favicon_type', 'css'].map((column) => set.get(column) ?? null);
}
