// BRAND_LOGO / BRAND_FAVICON given as a URL (issue 25): fetched once by the server and served from our own origin,
// so that pages never load an image from elsewhere (the CSP's img-src stays 'self') and the image cannot change
// under us. The request follows the rules of every request Gatehouse makes itself (src/http/outbound-request.ts):
// no special-purpose address outside development (ALLOW_PRIVATE_CLIENT_URLS), no redirects, one timeout that covers
// the body, and at most MAX_IMAGE_BYTES read from the stream whatever Content-Length says. The bytes are then
// checked like an upload (src/branding/brand-image.ts). A failure is a short reason for the log, never the
// network's whole error text.
import http from 'node:http';
import https from 'node:https';
import { checkedConnection, RefusedAddressError, type Resolver } from '../http/outbound-request.js';
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

function networkFailure(error: unknown): BrandImageUnavailable {
  if (error instanceof BrandImageUnavailable) return error;
  if (error instanceof RefusedAddressError) return new BrandImageUnavailable('could not be fetched (refused_address)');
  const code = (error as { code?: unknown } | null)?.code;
  return new BrandImageUnavailable(`could not be fetched (${typeof code === 'string' ? code.slice(0, 60) : 'connection_failed'})`);
}

function getBytes(url: URL, options: BrandFetchOptions): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let connection: ReturnType<typeof checkedConnection>;
    try {
      connection = checkedConnection(url, { allowPrivateAddresses: options.allowPrivateAddresses, resolve: options.resolve });
    } catch (error) {
      reject(networkFailure(error));
      return;
    }
    let settled = false;
    let request: http.ClientRequest | null = null;
    const finish = (outcome: { data: Buffer } | { error: BrandImageUnavailable }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('data' in outcome) {
        resolve(outcome.data);
      } else {
        request?.destroy();
        reject(outcome.error);
      }
    };
    const fail = (message: string) => finish({ error: new BrandImageUnavailable(message) });
    const timer = setTimeout(() => fail(`did not answer within ${options.timeoutMs} ms`), options.timeoutMs);
    request = (url.protocol === 'https:' ? https : http).request(url, { method: 'GET', headers: { accept: 'image/*', 'accept-encoding': 'identity' }, ...connection }, (response) => {
      const status = response.statusCode ?? 0;
      const declared = Number(response.headers['content-length']);
      const encoding = response.headers['content-encoding'];
      // A redirect is not followed: its Location could name any address, this server's neighbours included.
      if (status !== 200) fail(`answered HTTP ${status}`);
      else if (encoding !== undefined && encoding.toLowerCase() !== 'identity') fail('answered with an encoded body');
      else if (Number.isFinite(declared) && declared > MAX_IMAGE_BYTES) fail(`is larger than ${MAX_IMAGE_BYTES / 1024} KiB`);
      if (settled) return;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > MAX_IMAGE_BYTES) fail(`is larger than ${MAX_IMAGE_BYTES / 1024} KiB`);
        else chunks.push(chunk);
      });
      response.on('end', () => finish({ data: Buffer.concat(chunks) }));
      response.on('error', (error) => finish({ error: networkFailure(error) }));
      response.on('close', () => {
        if (!response.complete) fail('could not be fetched (connection_failed)');
      });
    });
    request.on('error', (error) => finish({ error: networkFailure(error) }));
    request.end();
  });
}

/** Fetches and checks an image; BrandImageUnavailable with a short reason otherwise. */
export async function fetchBrandImage(url: string, options: BrandFetchOptions): Promise<BrandImage> {
  const data = await getBytes(new URL(url), options);
  const image = brandImageOf(data);
  if (!image) throw new BrandImageUnavailable(brandImageProblem(data) ?? 'is not an image');
  return image;
}
