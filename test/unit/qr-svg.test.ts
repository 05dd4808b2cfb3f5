// The enrolment QR code: server-drawn SVG that the page embeds as is, so it must hold no style attribute,
// no script, and none of the encoded text.
import { describe, expect, it } from 'vitest';
import { qrSvg } from '../../src/auth/qr-svg.js';
import { otpauthUri } from '../../src/auth/totp.js';

describe('qrSvg', () => {
  const uri = otpauthUri({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', accountName: 'ada@example.com', issuer: 'Gatehouse' });

  it('draws an accessible SVG image', async () => {
    const svg = await qrSvg(uri);
    expect(svg.startsWith('<svg role="img" aria-label="QR code to scan with an authenticator app" class="qr-code" ')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('holds no style attribute, script, event handler or encoded text (the CSP forbids inline style and script)', async () => {
    const svg = await qrSvg(`${uri}"><script>alert(1)</script><p style="x" onload="y">`);
    expect(svg).not.toMatch(/style=/i);
    expect(svg).not.toMatch(/<script/i);
    expect(svg).not.toMatch(/\son\w+=/i);
    expect(svg).not.toContain('JBSWY3DP');
    expect(svg).not.toContain('ada@example.com');
    expect(svg.match(/<(\w+)/g)?.every((tag) => tag === '<svg' || tag === '<path')).toBe(true);
  });
});
