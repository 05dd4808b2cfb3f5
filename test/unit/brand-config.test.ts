// BRAND_NAME, BRAND_LOGO, BRAND_FAVICON, BRAND_COLOR and BRAND_CSS (issue 25), read with the rest of the
// configuration: a wrong value stops the start with its variable named, in one line. The name is one short line
// without controls (bidirectional overrides included); the colour passes the WCAG AA contrast rule; an image is a
// file whose bytes are a small image of a type we take, or an https URL (http on loopback) without credentials; the
// stylesheet is a small UTF-8 file. And which image types the bytes are (src/branding/brand-image.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBrandConfig } from '../../src/branding/brand-config.js';
import { brandImageProblem, imageTypeOf, MAX_IMAGE_BYTES } from '../../src/branding/brand-image.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { GIF, HTML, ICO, PNG, SCRIPTED_SVG, SVG } from '../http/branding-fixtures.js';

const dir = tempDir();
afterAll(() => dir.remove());
mkdirSync(path.join(dir.dir, 'brand'), { recursive: true });
const file = (name: string, data: Buffer | string): string => {
  writeFileSync(path.join(dir.dir, 'brand', name), data);
  return `brand/${name}`;
};

type Env = Record<string, string>;

function refusal(env: Env): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env, dir.dir);
  } catch (error) {
    caught = error;
  }
  expect(caught, JSON.stringify(env)).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect(error.message).not.toMatch(/[\r\n]/);
  return error;
}

describe('BRAND_* configuration', () => {
  it('is all null when nothing is set, and blank values count as unset', () => {
    expect(loadConfig({}, dir.dir).brand).toEqual({ name: null, logo: null, favicon: null, color: null, cssFile: null });
    expect(parseBrandConfig({ BRAND_NAME: '  ', BRAND_COLOR: '', BRAND_LOGO: ' ' }, dir.dir)).toEqual({ name: null, logo: null, favicon: null, color: null, cssFile: null });
  });

  it('reads every variable: files resolved against the working directory, URLs kept, the colour in lower case', () => {
    const brand = parseBrandConfig(
      {
        BRAND_NAME: ' Acme 株式会社 ',
        BRAND_COLOR: '#1A4D8F',
        BRAND_LOGO: file('logo.png', PNG),
        BRAND_FAVICON: 'https://cdn.example.com/favicon.ico',
        BRAND_CSS: file('extra.css', 'h1 { color: red; }'),
      },
      dir.dir,
    );
    expect(brand).toEqual({
      name: 'Acme 株式会社',
      color: '#1a4d8f',
      logo: { kind: 'file', path: path.join(dir.dir, 'brand', 'logo.png') },
      favicon: { kind: 'url', url: 'https://cdn.example.com/favicon.ico' },
      cssFile: path.join(dir.dir, 'brand', 'extra.css'),
    });
    expect(parseBrandConfig({ BRAND_LOGO: 'http://127.0.0.1:8080/logo.svg' }, dir.dir).logo).toEqual({ kind: 'url', url: 'http://127.0.0.1:8080/logo.svg' });
    expect(parseBrandConfig({ BRAND_LOGO: 'http://localhost/logo.svg' }, dir.dir).logo).toEqual({ kind: 'url', url: 'http://localhost/logo.svg' });
  });

  it('refuses a name that is not one short line, or that carries bidirectional controls', () => {
    for (const name of ['x'.repeat(61), 'Two\nlines', 'Tab\there', 'Acme\u202egnp.exe', 'Acme\u2066x\u2069', 'A\u2028B']) {
      const error = refusal({ BRAND_NAME: name });
      expect(error.message, JSON.stringify(name)).toBe('BRAND_NAME must be one line of at most 60 characters');
    }
    // Sixty characters of any script, counted as code points.
    expect(parseBrandConfig({ BRAND_NAME: '😀'.repeat(60) }, dir.dir).name).toBe('😀'.repeat(60));
  });

  it('refuses a colour that is not #rrggbb or fails WCAG AA contrast, saying the ratio', () => {
    expect(refusal({ BRAND_COLOR: 'navy' }).message).toBe('BRAND_COLOR must be a colour written #rrggbb');
    expect(refusal({ BRAND_COLOR: '#FFFF00' }).message).toBe(
      "BRAND_COLOR has a contrast of 1.01:1 against the page and the buttons' white text, below the 4.5:1 WCAG AA requires for text; choose a darker colour",
    );
  });

  it('refuses an image that is missing, a directory, no image, empty or too large, and a URL that is not https or carries credentials', () => {
    expect(refusal({ BRAND_LOGO: 'brand/missing.png' }).message).toBe(`BRAND_LOGO names a file that does not exist: ${path.join(dir.dir, 'brand', 'missing.png')}`);
    expect(refusal({ BRAND_LOGO: 'brand' }).variable).toBe('BRAND_LOGO');
    expect(refusal({ BRAND_FAVICON: file('page.png', HTML) }).message).toMatch(/^BRAND_FAVICON names a file that is not a PNG, JPEG, GIF, WebP, SVG or ICO image: /);
    expect(refusal({ BRAND_LOGO: file('empty.png', '') }).message).toMatch(/^BRAND_LOGO names a file that is empty: /);
    expect(refusal({ BRAND_LOGO: file('large.png', Buffer.concat([PNG, Buffer.alloc(MAX_IMAGE_BYTES)])) }).message).toMatch(/^BRAND_LOGO names a file that is larger than 512 KiB: /);
    for (const url of ['http://cdn.example.com/logo.png', 'ftp://cdn.example.com/logo.png', 'javascript:alert(1)', 'data:image/png;base64,AAAA']) {
      expect(refusal({ BRAND_LOGO: url }).message, url).toBe('BRAND_LOGO must be a file or an https URL');
    }
    expect(refusal({ BRAND_LOGO: 'https://user:pass@cdn.example.com/logo.png' }).message).toBe('BRAND_LOGO must not carry credentials');
  });

  it('refuses a stylesheet that is missing, over 64 KiB or not UTF-8 text', () => {
    expect(refusal({ BRAND_CSS: 'brand/none.css' }).variable).toBe('BRAND_CSS');
    expect(refusal({ BRAND_CSS: file('large.css', 'x'.repeat(64 * 1024 + 1)) }).message).toMatch(/^BRAND_CSS names a file larger than 64 KiB: /);
    expect(refusal({ BRAND_CSS: file('binary.css', Buffer.from([0xff, 0xfe, 0x00, 0x41])) }).message).toMatch(/^BRAND_CSS names a file that is not UTF-8 text: /);
    expect(parseBrandConfig({ BRAND_CSS: file('exact.css', 'x'.repeat(64 * 1024)) }, dir.dir).cssFile).not.toBeNull();
  });
});

describe('brand images by their bytes', () => {
  it('reads the type from the signature, never from a name or a claimed type', () => {
    expect(imageTypeOf(PNG)).toBe('image/png');
    expect(imageTypeOf(GIF)).toBe('image/gif');
    expect(imageTypeOf(ICO)).toBe('image/x-icon');
    expect(imageTypeOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe('image/jpeg');
    expect(imageTypeOf(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]))).toBe('image/webp');
    expect(imageTypeOf(SVG)).toBe('image/svg+xml');
    expect(imageTypeOf(SCRIPTED_SVG)).toBe('image/svg+xml');
    expect(imageTypeOf(Buffer.from('\uFEFF  <!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg/>'))).toBe('image/svg+xml');
  });

  it('takes nothing else: HTML, text, a RIFF that is no WebP, an ICO with no image, a lone XML declaration, bytes that are not UTF-8', () => {
    for (const [label, data] of [
      ['html', HTML],
      ['text', Buffer.from('just text')],
      ['an <svg> later in an HTML page', Buffer.from('<html><svg></svg></html>')],
      ['svg as a prefix of another element', Buffer.from('<svgx></svgx>')],
      ['riff wave', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt ')])],
      ['ico without images', Buffer.from([0, 0, 1, 0, 0, 0])],
      ['xml only', Buffer.from('<?xml version="1.0"?><html/>')],
      ['latin-1 svg', Buffer.concat([Buffer.from('<svg>'), Buffer.from([0xe9, 0xff])])],
      ['png header cut short', PNG.subarray(0, 4)],
    ] as const) {
      expect(imageTypeOf(data), label).toBeNull();
    }
    expect(brandImageProblem(PNG)).toBeNull();
    expect(brandImageProblem(Buffer.alloc(0))).toBe('is empty');
    expect(brandImageProblem(Buffer.concat([PNG, Buffer.alloc(MAX_IMAGE_BYTES)]))).toBe('is larger than 512 KiB');
    expect(brandImageProblem(HTML)).toBe('is not a PNG, JPEG, GIF, WebP, SVG or ICO image');
  });
});
