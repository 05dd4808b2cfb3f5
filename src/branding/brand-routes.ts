// GET /branding/logo, /branding/favicon and /branding/theme.css (issue 25): the brand's files, from our own origin,
// so that every page's CSP stays `img-src 'self'` / `style-src 'self'`. Each URL a page links carries its file's
// hash (`?v=`, src/branding/brand-service.ts): asked for with the current hash, the answer is cached for a year and
// never revalidated (a change makes a new URL); with any other (a page rendered before a change) it is the current
// file, revalidated every time. Images are served with the type their bytes were checked to be and `nosniff`; an
// SVG, which a browser opened on it directly would run as a document, under a policy that lets it run nothing
// (`default-src 'none'`, `sandbox`). The logo may be shown by mail readers on other origins (the mails link it by
// its absolute URL), so it is the one resource another origin may embed (Cross-Origin-Resource-Policy).
import express, { type Request, type Response, type Router } from 'express';
import { NotFoundError } from '../errors.js';
import type { BrandAsset, BrandAssets, BrandService } from './brand-service.js';

const YEAR_SECONDS = 365 * 24 * 60 * 60;

/** What an SVG opened on its own may do: draw itself (its own inline styles), nothing else. */
export const SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

function send(req: Request, res: Response, file: BrandAsset, { crossOrigin }: { crossOrigin: boolean }): void {
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', req.query.v === file.version ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache');
  res.setHeader('ETag', `"${file.version}"`);
  if (file.contentType === 'image/svg+xml') res.setHeader('Content-Security-Policy', SVG_POLICY);
  if (crossOrigin) res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  if (req.headers['if-none-match'] === `"${file.version}"`) {
    res.status(304).end();
    return;
  }
  res.status(200).end(file.data);
}

function serve(brands: BrandService, pick: (assets: BrandAssets) => BrandAsset | null, what: string, options = { crossOrigin: false }) {
  return async (req: Request, res: Response): Promise<void> => {
    const file = pick(await brands.assets());
    if (!file) throw new NotFoundError(`No ${what} is configured.`);
    send(req, res, file, options);
  };
}

export function brandAssetRouter({ brands }: { brands: BrandService }): Router {
  const router = express.Router();
  router.get(
    '/logo',
    serve(brands, (assets) => assets.logo, 'logo', { crossOrigin: true }),
  );
  router.get(
    '/favicon',
    serve(brands, (assets) => assets.favicon, 'favicon'),
  );
  router.get(
    '/theme.css',
    serve(brands, (assets) => assets.theme, 'theme'),
  );
  return router;
}
