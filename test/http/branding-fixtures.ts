// Images and pages the branding tests (issue 25) share: small real images of each type, and reading the brand off
// a page.
import type { Page } from '../helpers/browser.js';

/** A 2×2 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8DwnwGMgRQAH+4D/dJQfRoAAAAASUVORK5CYII=', 'base64');
/** A 1×1 GIF. */
export const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
/** An SVG with an XML declaration, and one that would run a script if a browser let it. */
export const SVG = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?>\n<!-- logo -->\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#1a4d8f"/></svg>\n',
);
export const SCRIPTED_SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>');
/** A minimal ICO header with one image entry. */
export const ICO = Buffer.concat([Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0]), Buffer.alloc(16)]);
/** An HTML page posing as an image. */
export const HTML = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');

/** What a page shows of the brand: the title's suffix, the header's name, the logo, favicon and theme URLs. */
export function brandOf(page: Page): { title: string | null; name: string | null; logo: string | null; favicon: string | null; theme: string | null } {
  const attr = (pattern: RegExp) => pattern.exec(page.body)?.[1]?.replace(/&amp;/g, '&') ?? null;
  return {
    title: attr(/<title>[^<]*? · ([^<]*)<\/title>/),
    name: attr(/<span class="brand-name">([^<]*)<\/span>/),
    logo: attr(/<img class="brand-logo" src="([^"]*)"/),
    favicon: attr(/<link rel="icon" href="([^"]*)">/),
    theme: attr(/<link rel="stylesheet" href="([^"]*\/branding\/theme\.css[^"]*)">/),
  };
}
