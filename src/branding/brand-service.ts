// The effective brand (src/branding/brand.ts), field by field: what the admin "Branding" screen saved, else BRAND_*
// configuration, else Gatehouse's own. Every page asks for it, so it is cached: the saved row's version is polled at
// most every POLL_MS (another process may have saved, e.g. an import), and a save through the admin screen makes
// every service of that store read it again at once (refresh). Configured images are read once: files when the
// service is made (src/branding/brand-config.ts checked them at start), URLs fetched once on first use
// (src/branding/brand-fetch.ts); a fetch that fails logs a warning and the page shows no logo, it never breaks a
// page. One service per store (brandsOf), like the claim catalog, so the app, the admin screens and the mails share it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Resolver } from '../http/outbound-request.js';
import { routes } from '../http/routes.js';
import type { Logger } from '../logger.js';
import type { BrandImage, BrandingRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { BrandImageSource } from './brand-config.js';
import { DEFAULT_BRAND_FETCH_TIMEOUT_MS, fetchBrandImage } from './brand-fetch.js';
import { brandImageOf, brandImageProblem } from './brand-image.js';
import { themeCss } from './brand-theme.js';
import { DEFAULT_BRAND_NAME, type Brand, type BrandSource } from './brand.js';

/** How often the saved brand's version is read again, at most. */
export const BRAND_POLL_MS = 5_000;

/** A file served under /branding: its bytes, type, and the hash its URL carries (`?v=`). */
export interface BrandAsset {
  contentType: string;
  data: Buffer;
  version: string;
}

export interface BrandAssets {
  logo: BrandAsset | null;
  favicon: BrandAsset | null;
  theme: BrandAsset | null;
}

/** What the configuration alone gives (BRAND_*), for the admin screen's "use the configuration" choices. */
export interface ConfiguredBrand {
  name: string;
  color: string | null;
  logo: BrandImage | null;
  favicon: BrandImage | null;
  css: string | null;
}

export interface BrandServiceOptions {
  /** Where a failed fetch of BRAND_LOGO / BRAND_FAVICON is reported; nowhere when absent. */
  logger?: Pick<Logger, 'warn'>;
  /** Name resolution for those fetches; the system's when absent (tests inject one). */
  resolve?: Resolver;
  fetchTimeoutMs?: number;
}

interface Snapshot {
  brand: Brand;
  assets: BrandAssets;
  /** The saved row's version (0: none saved). */
  version: number;
}

/** Bumped by refresh(): every service of the store reads the saved brand again on its next use. */
const generations = new WeakMap<object, number>();
const services = new WeakMap<object, BrandService>();

/** The one brand service of a store (the first call's configuration and options make it). */
export function brandsOf(config: Config, store: Store, clock: Clock, options: BrandServiceOptions = {}): BrandService {
  let service = services.get(store);
  if (!service) {
    service = new BrandService(config, store, clock, options);
    services.set(store, service);
  }
  return service;
}

function versionOf(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('base64url').slice(0, 16);
}

function asset(contentType: string, data: Buffer): BrandAsset {
  return { contentType, data, version: versionOf(data) };
}

export class BrandService implements BrandSource {
  private readonly logger: Pick<Logger, 'warn'> | null;
  private readonly fileImages: { logo: BrandImage | null; favicon: BrandImage | null };
  private readonly configuredCss: string | null;
  private fetched: Promise<{ logo: BrandImage | null; favicon: BrandImage | null }> | null = null;
  private snapshot: Snapshot | null = null;
  private checkedAt = 0;
  private generation = -1;
  private loading: Promise<Snapshot> | null = null;

  constructor(
    private readonly config: Config,
    readonly store: Store,
    readonly clock: Clock,
    private readonly options: BrandServiceOptions = {},
  ) {
    this.logger = options.logger ?? null;
    this.fileImages = { logo: this.readImageFile('BRAND_LOGO', config.brand.logo), favicon: this.readImageFile('BRAND_FAVICON', config.brand.favicon) };
    this.configuredCss = this.readCssFile();
  }

  /** The brand pages and mails show now. */
  async current(): Promise<Brand> {
    return (await this.latest()).brand;
  }

  /** The files /branding serves, matching current(). */
  async assets(): Promise<BrandAssets> {
    return (await this.latest()).assets;
  }

  /** BRAND_* alone (images fetched first when they are URLs). */
  async configured(): Promise<ConfiguredBrand> {
    const images = await this.configuredImages();
    return { name: this.config.brand.name ?? DEFAULT_BRAND_NAME, color: this.config.brand.color, logo: images.logo, favicon: images.favicon, css: this.configuredCss };
  }

  /** After a save: this service, and every other one of the same store, reads the saved brand again on next use. */
  refresh(): void {
    generations.set(this.store, (generations.get(this.store) ?? 0) + 1);
  }

  private async latest(): Promise<Snapshot> {
    const now = this.clock.now();
    const generation = generations.get(this.store) ?? 0;
    // A clock that went back (tests move theirs) reads again too.
    if (this.snapshot && generation === this.generation && now >= this.checkedAt && now - this.checkedAt < BRAND_POLL_MS) return this.snapshot;
    this.loading ??= this.load(generation, now).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(generation: number, now: number): Promise<Snapshot> {
    try {
      const version = await this.store.branding.version();
      if (!this.snapshot || this.snapshot.version !== version || generation !== this.generation) {
        const record = version === 0 ? null : await this.store.branding.get();
        this.snapshot = this.build(record, await this.configuredImages());
      }
    } catch (error) {
      // The pages go on with what they had (or the configuration's brand): branding never breaks a page.
      this.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, 'the saved brand could not be read');
      this.snapshot ??= this.build(null, await this.configuredImages());
    }
    this.generation = generation;
    this.checkedAt = now;
    return this.snapshot;
  }

  private build(record: BrandingRecord | null, images: { logo: BrandImage | null; favicon: BrandImage | null }): Snapshot {
    const logo = record?.logo ?? images.logo;
    const favicon = record?.favicon ?? images.favicon;
    const color = record?.color ?? this.config.brand.color;
    const css = themeCss(color, record?.css ?? this.configuredCss);
    const assets: BrandAssets = {
      logo: logo ? asset(logo.contentType, logo.data) : null,
      favicon: favicon ? asset(favicon.contentType, favicon.data) : null,
      theme: css === null ? null : asset('text/css; charset=utf-8', Buffer.from(css, 'utf8')),
    };
    const base = `${this.config.basePath}${routes.branding}`;
    const url = (name: string, file: BrandAsset | null) => (file ? `${base}/${name}?v=${file.version}` : null);
    return {
      version: record?.version ?? 0,
      brand: {
        name: record?.name ?? this.config.brand.name ?? DEFAULT_BRAND_NAME,
        logoUrl: url('logo', assets.logo),
        faviconUrl: url('favicon', assets.favicon),
        themeUrl: url('theme.css', assets.theme),
        color,
      },
      assets,
    };
  }

  private configuredImages(): Promise<{ logo: BrandImage | null; favicon: BrandImage | null }> {
    this.fetched ??= (async () => {
      const [logo, favicon] = await Promise.all([this.fetchImage('BRAND_LOGO', this.config.brand.logo), this.fetchImage('BRAND_FAVICON', this.config.brand.favicon)]);
      return { logo: logo ?? this.fileImages.logo, favicon: favicon ?? this.fileImages.favicon };
    })();
    return this.fetched;
  }

  private readImageFile(variable: string, source: BrandImageSource | null): BrandImage | null {
    if (source?.kind !== 'file') return null;
    try {
      const data = readFileSync(source.path);
      const image = brandImageOf(data);
      if (!image) this.logger?.warn({ variable, file: source.path, problem: brandImageProblem(data) }, 'the brand image is not used');
      return image;
    } catch (error) {
      this.logger?.warn({ variable, file: source.path, code: (error as { code?: unknown }).code }, 'the brand image could not be read');
      return null;
    }
  }

  private readCssFile(): string | null {
    const file = this.config.brand.cssFile;
    if (file === null) return null;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      this.logger?.warn({ variable: 'BRAND_CSS', file, code: (error as { code?: unknown }).code }, 'the brand stylesheet could not be read');
      return null;
    }
  }

  private async fetchImage(variable: string, source: BrandImageSource | null): Promise<BrandImage | null> {
    if (source?.kind !== 'url') return null;
    try {
      return await fetchBrandImage(source.url, {
        timeoutMs: this.options.fetchTimeoutMs ?? DEFAULT_BRAND_FETCH_TIMEOUT_MS,
        allowPrivateAddresses: this.config.allowPrivateClientUrls,
        resolve: this.options.resolve,
      });
    } catch (error) {
      // The URL may carry a token in its query: the log names its origin and path only.
      const url = new URL(source.url);
      this.logger?.warn(
        { variable, url: `${url.origin}${url.pathname}`, problem: error instanceof Error ? error.message : String(error) },
        'the brand image could not be fetched; pages show no logo',
      );
      return null;
    }
  }
}
