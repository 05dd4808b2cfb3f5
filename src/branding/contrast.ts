// WCAG 2.2 contrast (SC 1.4.3 text 4.5:1, SC 1.4.11 non-text 3:1), by the relative-luminance formula of WCAG's
// definitions. A brand colour is used as button background under white text, and as link text on the white cards
// and the light page background (public/gatehouse.css `--card`, `--bg`), so it must reach 4.5:1 against each.
// Dark mode cannot use the same colour (one dark enough for white text is too dark for text on a dark card), so
// it derives its own accent (darkModeAccent): the brand's hue, lightened until it reaches 4.5:1 on the dark card,
// with dark text on it (ON_ACCENT_DARK).

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

export function isHexColour(value: string): boolean {
  return HEX_COLOUR.test(value);
}

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of #rrggbb. */
export function relativeLuminance(hex: string): number {
  const n = Number.parseInt(hex.slice(1), 16);
  return 0.2126 * channel((n >> 16) & 0xff) + 0.7152 * channel((n >> 8) & 0xff) + 0.0722 * channel(n & 0xff);
}

/** The contrast ratio of two colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** WCAG AA for normal text. */
export const MIN_TEXT_CONTRAST = 4.5;
export const WHITE = '#ffffff';

/**
 * The page's own colours, as public/gatehouse.css defines them (test/unit/contrast.test.ts reads that file and
 * fails when they drift apart): the light page background (the cards are white), and dark mode's page and cards.
 */
export const LIGHT_BACKGROUND = '#f4f5f8';
export const DARK_BACKGROUND = '#12151c';
export const DARK_CARD = '#1b1f29';
/** The text on an accent-coloured button: white in light mode, the dark page's colour on dark mode's lighter accent. */
export const ON_ACCENT_LIGHT = WHITE;
export const ON_ACCENT_DARK = DARK_BACKGROUND;

/** What a light-mode brand colour is read against: the buttons' white text (and the white cards), and the page. */
const LIGHT_SURFACES: readonly string[] = [WHITE, LIGHT_BACKGROUND];

/** The lowest contrast of a light-mode brand colour against what it is read on (LIGHT_SURFACES). */
export function brandContrast(hex: string): number {
  return Math.min(...LIGHT_SURFACES.map((surface) => contrastRatio(hex, surface)));
}

/** Null when the colour may be the primary colour; else why not, in one sentence with the measured ratio. */
export function brandColourProblem(hex: string): string | null {
  if (!isHexColour(hex)) return 'must be a colour written #rrggbb';
  const ratio = brandContrast(hex);
  if (ratio >= MIN_TEXT_CONTRAST) return null;
  // Rounded down, so a colour refused at 4.499 never reads as "4.50:1, below 4.5:1".
  const shown = (Math.floor(ratio * 100) / 100).toFixed(2);
  return `has a contrast of ${shown}:1 against the page and the buttons' white text, below the ${MIN_TEXT_CONTRAST}:1 WCAG AA requires for text; choose a darker colour`;
}

interface Hsl {
  h: number;
  s: number;
  l: number;
}

function toHsl(hex: string): Hsl {
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [((n >> 16) & 0xff) / 255, ((n >> 8) & 0xff) / 255, (n & 0xff) / 255];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  if (d === 0) return { h: 0, s: 0, l };
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return { h: (h * 60 + 360) % 360, s, l };
}

function toHex({ h, s, l }: Hsl): string {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return `#${[r, g, b]
    .map((v) =>
      Math.round(Math.min(1, Math.max(0, v + m)) * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/**
 * Dark mode's accent for a brand colour: the same hue and saturation, lightened step by step until the colour reaches
 * 4.5:1 on the dark card (the lighter of dark mode's two surfaces, so on the page too). White always does, so this
 * ends. Buttons in that colour take ON_ACCENT_DARK text, which it reaches 4.5:1 against as well (it is darker still).
 */
export function darkModeAccent(hex: string): string {
  const hsl = toHsl(hex.toLowerCase());
  for (let step = 0; step <= 100; step++) {
    const candidate = toHex({ ...hsl, l: Math.min(1, hsl.l + step / 100) });
    if (contrastRatio(candidate, DARK_CARD) >= MIN_TEXT_CONTRAST && contrastRatio(candidate, ON_ACCENT_DARK) >= MIN_TEXT_CONTRAST) return candidate;
  }
  return WHITE;
}
