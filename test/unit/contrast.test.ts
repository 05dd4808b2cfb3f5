// WCAG 2.2 contrast of the brand colour (issue 25): the relative-luminance formula on known pairs, the refusal of a
// colour below 4.5:1 against the page and the buttons' white text (with the ratio said, never rounded up to a pass),
// dark mode's derived accent (4.5:1 on the dark card, and under its dark button text, for every hue and lightness),
// and the page colours the rule reads against, kept equal to public/gatehouse.css's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  brandColourProblem,
  brandContrast,
  contrastRatio,
  DARK_BACKGROUND,
  DARK_CARD,
  darkModeAccent,
  isHexColour,
  LIGHT_BACKGROUND,
  MIN_TEXT_CONTRAST,
  ON_ACCENT_DARK,
  relativeLuminance,
  WHITE,
} from '../../src/branding/contrast.js';
import { previewCss, themeCss } from '../../src/branding/brand-theme.js';
import { publicDir } from '../../src/paths.js';

/** Every 17th value of each channel: 4,096 colours across the whole cube. */
function* colourGrid(): Generator<string> {
  for (let r = 0; r < 256; r += 17) for (let g = 0; g < 256; g += 17) for (let b = 0; b < 256; b += 17) yield `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** The hue of #rrggbb in degrees, null for a grey. */
function hueOf(hex: string): number | null {
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff].map((v) => v / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d < 0.02) return null;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

describe('contrast (WCAG 2.2 relative luminance)', () => {
  it('measures the known pairs', () => {
    expect(relativeLuminance('#000000')).toBe(0);
    expect(relativeLuminance('#ffffff')).toBeCloseTo(1, 10);
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 10);
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 10);
    expect(contrastRatio('#777777', '#777777')).toBe(1);
    // The classic edge: #767676 is the lightest grey that reaches 4.5:1 on white; #777777 is not.
    expect(contrastRatio('#767676', WHITE)).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio('#777777', WHITE)).toBeLessThan(4.5);
    expect(isHexColour('#1A4d8f')).toBe(true);
    for (const bad of ['1a4d8f', '#1a4d8', '#1a4d8fa', '#gggggg', 'blue', '']) expect(isHexColour(bad), bad).toBe(false);
  });

  it('takes a brand colour that reaches 4.5:1 against white and the page background, and refuses one that does not with its ratio', () => {
    expect(brandColourProblem('#1a4d8f')).toBeNull();
    expect(brandColourProblem('#0b5d1e')).toBeNull();
    expect(brandColourProblem('#000000')).toBeNull();
    expect(brandColourProblem('#ffff00')).toBe("has a contrast of 1.01:1 against the page and the buttons' white text, below the 4.5:1 WCAG AA requires for text; choose a darker colour");
    // The light page background is the harder of the two: a colour that passes on white alone is still refused.
    expect(contrastRatio('#747474', WHITE)).toBeGreaterThanOrEqual(4.5);
    expect(brandContrast('#747474')).toBeLessThan(4.5);
    expect(brandColourProblem('#747474')).toMatch(/^has a contrast of 4\.\d\d:1 against/);
    expect(brandColourProblem('#1A4D8F')).toBeNull();
    expect(brandColourProblem('red')).toBe('must be a colour written #rrggbb');
  });

  it('never shows a refused ratio rounded up to the threshold', () => {
    for (const colour of colourGrid()) {
      const problem = brandColourProblem(colour);
      if (problem === null) continue;
      const shown = Number(/contrast of (\d+\.\d\d):1/.exec(problem)?.[1]);
      expect(shown, colour).toBeLessThan(MIN_TEXT_CONTRAST);
    }
  });

  it('derives a dark-mode accent of every colour that reaches 4.5:1 on the dark card and under its dark text, keeping the hue', () => {
    let checked = 0;
    for (const colour of colourGrid()) {
      if (brandColourProblem(colour) !== null) continue;
      const dark = darkModeAccent(colour);
      expect(isHexColour(dark), colour).toBe(true);
      expect(contrastRatio(dark, DARK_CARD), colour).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
      expect(contrastRatio(dark, DARK_BACKGROUND), colour).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
      expect(contrastRatio(dark, ON_ACCENT_DARK), colour).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
      const [before, after] = [hueOf(colour), hueOf(dark)];
      if (before !== null && after !== null && dark !== WHITE) {
        const apart = Math.min(Math.abs(before - after), 360 - Math.abs(before - after));
        expect(apart, `${colour} → ${dark}`).toBeLessThan(6);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThan(500);
    // Lighter, not white, for an ordinary brand blue.
    expect(darkModeAccent('#1a4d8f')).not.toBe(WHITE);
    expect(relativeLuminance(darkModeAccent('#1a4d8f'))).toBeGreaterThan(relativeLuminance('#1a4d8f'));
  });

  it('reads against the colours public/gatehouse.css defines for the page, light and dark', () => {
    const css = readFileSync(path.join(publicDir, 'gatehouse.css'), 'utf8');
    const light = /^:root \{([\s\S]*?)\n\}/m.exec(css)?.[1] ?? '';
    const dark = /@media \(prefers-color-scheme: dark\) \{\s*:root \{([\s\S]*?)\}/.exec(css)?.[1] ?? '';
    const variable = (block: string, name: string) => new RegExp(`--${name}:\\s*(#[0-9a-f]{6})\\s*;`, 'i').exec(block)?.[1]?.toLowerCase();
    expect(variable(light, 'bg')).toBe(LIGHT_BACKGROUND);
    expect(variable(light, 'card')).toBe(WHITE);
    expect(variable(dark, 'bg')).toBe(DARK_BACKGROUND);
    expect(variable(dark, 'card')).toBe(DARK_CARD);
  });
});

describe('the theme stylesheet', () => {
  it('is nothing without a colour or extra CSS, the variables for a colour in both schemes, and the extra CSS after them', () => {
    expect(themeCss(null, null)).toBeNull();
    expect(themeCss(null, '  \n')).toBeNull();
    const css = themeCss('#1a4d8f', 'h1 { color: var(--accent); }') ?? '';
    expect(css).toContain(':root {\n  --accent: #1a4d8f;\n  --on-accent: #ffffff;\n}');
    expect(css).toContain(`@media (prefers-color-scheme: dark) {\n  :root {\n    --accent: ${darkModeAccent('#1a4d8f')};\n    --on-accent: ${ON_ACCENT_DARK};\n  }\n}`);
    expect(css.indexOf('h1 { color: var(--accent); }')).toBeGreaterThan(css.indexOf('prefers-color-scheme'));
    expect(themeCss(null, 'p { margin: 0 }')).toBe('/* The extra stylesheet (BRAND_CSS or the admin Branding screen). */\np { margin: 0 }\n');
  });

  it('scopes the preview to the mock card', () => {
    const css = previewCss('#0b5d1e');
    expect(css).toContain('.brand-preview {\n  --accent: #0b5d1e;');
    expect(css).not.toContain(':root');
  });
});
