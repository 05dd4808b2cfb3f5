// What may be a logo or favicon (issue 25): an image whose type is read from its bytes (the file's own signature),
// never from a file name or a Content-Type someone else chose, and that is small. These are served from our origin
// with the checked type and `nosniff` (src/branding/brand-routes.ts), so a file that is not what it claims cannot
// become an HTML page of ours; an SVG there is served under a policy that runs nothing.
import type { BrandImage } from '../store/records.js';

/** The largest logo or favicon taken (an upload, a file, a fetched URL): a page loads it on every visit. */
export const MAX_IMAGE_BYTES = 512 * 1024;

export type BrandImageType = BrandImage['contentType'];

/** The types taken, as an administrator reads them. */
export const IMAGE_TYPES_TEXT = 'PNG, JPEG, GIF, WebP, SVG or ICO';

const startsWith = (data: Buffer, bytes: readonly number[], offset = 0): boolean => data.length >= offset + bytes.length && bytes.every((byte, i) => data[offset + i] === byte);
const ascii = (text: string): number[] => Array.from(Buffer.from(text, 'latin1'));

/**
 * Whether the bytes are an SVG document: UTF-8 text whose first element is <svg, after an optional byte order
 * mark, XML declaration, comments and doctype.
 */
function isSvg(data: Buffer): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return false;
  }
  let rest = text.replace(/^\uFEFF/, '');
  // Each step removes one leading prolog part; bounded, so a file of endless comments ends here too.
  for (let step = 0; step < 50; step++) {
    rest = rest.trimStart();
    const prolog = /^(?:<\?xml[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>)/i.exec(rest);
    if (!prolog) break;
    rest = rest.slice(prolog[0].length);
  }
  return /^<svg[\s>/]/.test(rest);
}

/** The image type the bytes are, by their signature; null when they are none we take. */
export function imageTypeOf(data: Buffer): BrandImageType | null {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(data, ascii('GIF87a')) || startsWith(data, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(data, ascii('RIFF')) && startsWith(data, ascii('WEBP'), 8)) return 'image/webp';
  // An ICO header: reserved 0, type 1 (icon), then at least one image.
  if (startsWith(data, [0x00, 0x00, 0x01, 0x00]) && data.length >= 6 && data.readUInt16LE(4) > 0) return 'image/x-icon';
  if (isSvg(data)) return 'image/svg+xml';
  return null;
}

/** Why these bytes cannot be a brand image (a sentence to follow "The logo …"), or null. */
export function brandImageProblem(data: Buffer): string | null {
  if (data.length === 0) return 'is empty';
  if (data.length > MAX_IMAGE_BYTES) return `is larger than ${MAX_IMAGE_BYTES / 1024} KiB`;
  if (imageTypeOf(data) === null) return `is not a ${IMAGE_TYPES_TEXT} image`;
  return null;
}

/** The bytes as a brand image, or null when brandImageProblem has something to say. */
export function brandImageOf(data: Buffer): BrandImage | null {
  if (brandImageProblem(data) !== null) return null;
  const contentType = imageTypeOf(data);
  return contentType === null ? null : { contentType, data };
}
