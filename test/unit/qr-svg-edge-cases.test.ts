// The enrolment QR code's markup (src/auth/qr-svg.ts): exactly one svg element, ours, with its label added to
// qrcode's own element rather than written beside it.
import { describe, expect, it } from 'vitest';
import { qrSvg } from '../../src/auth/qr-svg.js';

describe('qrSvg markup', () => {
  it('is one svg element: the label and class go on qrcode’s element, not on a second one', async () => {
    const svg = await qrSvg('otpauth://totp/Gatehouse:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse');
    expect(svg.match(/<svg\b/g)).toHaveLength(1);
    expect(svg.match(/<\/svg>/g)).toHaveLength(1);
    expect(svg).toMatch(/^<svg role="img" aria-label="QR code to scan with an authenticator app" class="qr-code" xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
  });

  it('draws different text as a different code, and the same text the same way', async () => {
    const one = await qrSvg('otpauth://totp/a?secret=AAAA');
    expect(await qrSvg('otpauth://totp/a?secret=AAAA')).toBe(one);
    expect(await qrSvg('otpauth://totp/a?secret=BBBB')).not.toBe(one);
  });
});
