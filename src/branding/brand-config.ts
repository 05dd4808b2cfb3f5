// BRAND_NAME, BRAND_LOGO, BRAND_FAVICON, BRAND_COLOR and BRAND_CSS (issue 25), read once with the rest of the
// configuration (src/config.ts). A logo or favicon is a file or an https URL (fetched by the server and served
// from our origin, never hot-linked: the CSP stays strict); BRAND_CSS is a file. The admin "Branding" screen
// overrides each (src/branding/brand-service.ts). Files are checked here, so that a wrong one stops the start with
// its variable named: an image by its bytes and size (src/branding/brand-image.ts), the stylesheet by its size.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { codePointLength } from '../code-points.js';
import { ConfigError } from '../errors.js';
import { brandImageProblem } from './brand-image.js';
import { brandColourProblem } from './contrast.js';

export const MAX_BRAND_NAME_LENGTH = 60;
/** The largest extra stylesheet (BRAND_CSS, or the admin screen's): appended to every page's theme. */
export const MAX_BRAND_CSS_BYTES = 64 * 1024;

/** An image named by configuration: a local file, or an https URL the server fetches. */
export type BrandImageSource = { kind: 'file'; path: string } | { kind: 'url'; url: string };

export interface BrandConfig {
  name: string | null;
  logo: BrandImageSource | null;
  favicon: BrandImageSource | null;
  /** #rrggbb, lower case, checked for contrast. */
  color: string | null;
  /** An extra stylesheet file, appended to the theme. */
  cssFile: string | null;
}

type Env = Record<string, string | undefined>;

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}

function existingFile(name: string, raw: string, cwd: string): string {
  const file = path.resolve(cwd, raw);
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) throw new ConfigError(name, `names a file that does not exist: ${file}`);
  return file;
}

function imageSource(env: Env, name: string, cwd: string): BrandImageSource | null {
  const raw = value(env, name);
  if (raw === undefined) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(name, 'must be a file or an https URL');
    }
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ConfigError(name, 'must be a file or an https URL');
    if (url.username || url.password) throw new ConfigError(name, 'must not carry credentials');
    return { kind: 'url', url: url.href };
  }
  const file = existingFile(name, raw, cwd);
  const problem = brandImageProblem(readFileSync(file));
  if (problem) throw new ConfigError(name, `names a file that ${problem}: ${file}`);
  return { kind: 'file', path: file };
}

/** The extra stylesheet's file: UTF-8 text of at most MAX_BRAND_CSS_BYTES. */
function stylesheetFile(raw: string, cwd: string): string {
  const file = existingFile('BRAND_CSS', raw, cwd);
  const data = readFileSync(file);
  if (data.length > MAX_BRAND_CSS_BYTES) throw new ConfigError('BRAND_CSS', `names a file larger than ${MAX_BRAND_CSS_BYTES / 1024} KiB: ${file}`);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new ConfigError('BRAND_CSS', `names a file that is not UTF-8 text: ${file}`);
  }
  return file;
}

/**
 * Why a brand name cannot be shown (page titles, the header, mail subjects), or null: one line, not too long, and no
 * bidirectional override or isolate controls, which could make the name read as another in a title (Unicode TR 36 §2.1).
 */
export function brandNameProblem(name: string): string | null {
  if (name.trim() === '' || codePointLength(name) > MAX_BRAND_NAME_LENGTH || /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(name)) {
    return `must be one line of at most ${MAX_BRAND_NAME_LENGTH} characters`;
  }
  return null;
}

export function parseBrandConfig(env: Env, cwd: string): BrandConfig {
  const name = value(env, 'BRAND_NAME') ?? null;
  const nameProblem = name === null ? null : brandNameProblem(name);
  if (nameProblem) throw new ConfigError('BRAND_NAME', nameProblem);
  const color = value(env, 'BRAND_COLOR')?.toLowerCase() ?? null;
  if (color !== null) {
    const problem = brandColourProblem(color);
    if (problem) throw new ConfigError('BRAND_COLOR', problem);
  }
  const css = value(env, 'BRAND_CSS');
  return {
    name,
    logo: imageSource(env, 'BRAND_LOGO', cwd),
    favicon: imageSource(env, 'BRAND_FAVICON', cwd),
    color,
    cssFile: css === undefined ? null : stylesheetFile(css, cwd),
  };
}
