// WCAG 2.2 contrast (SC 1.4.3 text 4.5:1, SC 1.4.11 non-text 3:1), by the relative-luminance formula of WCAG's
// definitions. A brand colour is used as button background under white text and as link text on the white
// page, so it must reach 4.5:1 against white (both are the same pair); dark mode derives its own link colour.

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

/** Null when the colour may be the primary colour; else why not, in one sentence with the measured ratio. */
export function brandColourProblem(hex: string): string | null {
  if (!isHexColour(hex)) return 'must be a colour written #rrggbb';
  const ratio = contrastRatio(hex, WHITE);
  if (ratio >= MIN_TEXT_CONTRAST) return null;
  return `has a contrast of ${ratio.toFixed(2)}:1 against white (buttons' text and the page), below the ${MIN_TEXT_CONTRAST}:1 WCAG AA requires; choose a darker colour`;
}
