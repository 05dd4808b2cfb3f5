// What a page or mail shows of the organisation (issue 25): its name, logo, favicon and theme. Always served from
// our own origin (the CSP stays strict), each URL carrying a version so a change reaches browsers at once.
// The effective brand is what the admin "Branding" screen stored, else BRAND_* configuration, else Gatehouse's own
// (src/branding/brand-service.ts decides and caches it).

export interface Brand {
  /** The product name people see: page titles, the header, mails. */
  name: string;
  /** Our URL of the logo (absolute path, versioned), or null: the name alone. */
  logoUrl: string | null;
  /** Our URL of the favicon, or null: the browser's default. */
  faviconUrl: string | null;
  /** Our URL of the theme stylesheet (the primary colour, then BRAND_CSS), or null: the default look. */
  themeUrl: string | null;
  /** The primary colour (#rrggbb), or null: the default; mails use it inline (no CSP there). */
  color: string | null;
}

export interface BrandSource {
  current(): Promise<Brand>;
}

export const DEFAULT_BRAND_NAME = 'Gatehouse';

/** The brand with nothing configured: used until the brand service has answered, and by tests that need none. */
export const defaultBrand: Brand = { name: DEFAULT_BRAND_NAME, logoUrl: null, faviconUrl: null, themeUrl: null, color: null };
