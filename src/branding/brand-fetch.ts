// BRAND_LOGO / BRAND_FAVICON given as a URL (issue 25): fetched once by the server and served from our own origin,
// so that pages never load an image from elsewhere (the CSP's img-src stays 'self') and the image cannot change
// under us. The request is the bounded GET of src/http/bounded-get.ts: no special-purpose address outside
// development (ALLOW_PRIVATE_CLIENT_URLS), no redirects, one timeout that covers the body, and at most
// MAX_IMAGE_BYTES read. The bytes are then checked like an upload (src/branding/brand-image.ts). A failure is a
// short reason for the log, never the network's whole error text.
import { BoundedGetFailed, boundedGet } from '../http/bounded-get.js';
import type { Resolver } from '../http/outbound-request.js';
import type { BrandImage } from '../store/records.js';
import { brandImageOf, brandImageProblem, MAX_IMAGE_BYTES } from './brand-image.js';

export interface BrandFetchOptions {
  timeoutMs: number;
  /** config.allowPrivateClientUrls: whether the URL may be on a special-purpose address (development). */
  allowPrivateAddresses: boolean;
  /** Name resolution; the system's when absent (tests inject one). */
  resolve?: Resolver;
}

export const DEFAULT_BRAND_FETCH_TIMEOUT_MS = 5_000;

/** The image could not be had; the message says why, for the log. */
export class BrandImageUnavailable extends Error {}

/** Fetches and checks an image; BrandImageUnavailable with a short reason otherwise. */
export async function fetchBrandImage(url: string, options: BrandFetchOptions): Promise<BrandImage> {
  let data: Buffer;
  try {
    data = await boundedGet(new URL(url), { ...options, maxBytes: MAX_IMAGE_BYTES, accept: 'image/*', subject: '', tooLarge: `is larger than ${MAX_IMAGE_BYTES / 1024} KiB` });
  } catch (error) {
    throw error instanceof BoundedGetFailed ? new BrandImageUnavailable(error.message) : error;
  }
  const image = brandImageOf(data);
  if (!image) throw new BrandImageUnavailable(brandImageProblem(data) ?? 'is not an image');
  return image;
}
