// The effective brand (src/branding/brand.ts): the admin screen's saved one, else BRAND_* configuration, else
// Gatehouse's own. PLACEHOLDER of the foundation: configuration only; H5 (issue 25) replaces it.
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Store } from '../store/store.js';
import { DEFAULT_BRAND_NAME, type Brand, type BrandSource } from './brand.js';

export class BrandService implements BrandSource {
  constructor(
    private readonly config: Config,
    readonly store: Store,
    readonly clock: Clock,
  ) {}

  current(): Promise<Brand> {
    return Promise.resolve({ name: this.config.brand.name ?? DEFAULT_BRAND_NAME, logoUrl: null, faviconUrl: null, themeUrl: null, color: this.config.brand.color });
  }
}
