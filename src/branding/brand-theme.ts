// /branding/theme.css (issue 25): the brand's colour as the variables public/gatehouse.css styles with, in light
// and dark mode, then the extra stylesheet (BRAND_CSS, or the admin screen's). A stylesheet of our own origin,
// linked after gatehouse.css: the CSP stays `style-src 'self'` (no inline style anywhere). The admin screen's live
// preview gets the same variables scoped to its mock login card (previewCss).
import { darkModeAccent, ON_ACCENT_DARK, ON_ACCENT_LIGHT } from './contrast.js';

/**
 * The variables for a colour: `--accent` (links, focus outlines, buttons' background) and `--on-accent` (the text on
 * an accent background). Dark mode gets a lighter accent of the same hue (contrast.ts darkModeAccent) with dark
 * text on it, since no colour is both dark enough under white text and light enough as text on a dark card.
 */
function colourRules(selector: string, color: string): string {
  return [
    `${selector} {`,
    `  --accent: ${color};`,
    `  --on-accent: ${ON_ACCENT_LIGHT};`,
    '}',
    '@media (prefers-color-scheme: dark) {',
    `  ${selector} {`,
    `    --accent: ${darkModeAccent(color)};`,
    `    --on-accent: ${ON_ACCENT_DARK};`,
    '  }',
    '}',
  ].join('\n');
}

/**
 * The theme stylesheet, or null when there is nothing to change (no colour, no extra CSS): pages then link none.
 * `color` must have passed brandColourProblem; `extraCss` is served as it is (an administrator's or the operator's).
 */
export function themeCss(color: string | null, extraCss: string | null): string | null {
  const parts: string[] = [];
  if (color !== null) parts.push(`/* The brand colour (BRAND_COLOR or the admin Branding screen). */\n${colourRules(':root', color)}`);
  if (extraCss !== null && extraCss.trim() !== '') parts.push(`/* The extra stylesheet (BRAND_CSS or the admin Branding screen). */\n${extraCss}`);
  return parts.length === 0 ? null : `${parts.join('\n\n')}\n`;
}

/** The preview's stylesheet: the colour's variables on the mock login card only, not on the admin page around it. */
export function previewCss(color: string): string {
  return `/* The admin Branding screen's preview of ${color}. */\n${colourRules('.brand-preview', color)}\n`;
}
