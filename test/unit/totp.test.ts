// TOTP (RFC 6238): SHA-1, 6 digits, 30 s steps, one step of drift each way, the matched step returned for
// replay protection.
import { describe, expect, it } from 'vitest';
import { matchTotp, newTotpSecret, otpauthUri, totpCodeAt, totpIssuerName, totpSecretAad, totpStep } from '../../src/auth/totp.js';

// RFC 6238 Appendix B's SHA-1 seed, the ASCII bytes of '12345678901234567890', in base32.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const at = (seconds: number) => seconds * 1000;

describe('TOTP codes (RFC 6238 Appendix B, SHA-1, last 6 of the 8 digits)', () => {
  it.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
    [20000000000, '353130'],
  ])('at T = %i s the code is %s, matched at its own step', (seconds, code) => {
    expect(totpCodeAt(RFC_SECRET, totpStep(at(seconds)))).toBe(code);
    expect(matchTotp(RFC_SECRET, code, at(seconds))).toBe(Math.floor(seconds / 30));
  });
});

describe('matchTotp (RFC 6238 §5.2: one step of clock drift each way, the step returned)', () => {
  const now = at(1111111111);
  const step = totpStep(now);

  it('accepts the previous and the next step’s code and returns that step', () => {
    expect(matchTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, step - 1), now)).toBe(step - 1);
    expect(matchTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, step + 1), now)).toBe(step + 1);
  });

  it('refuses codes two steps away', () => {
    expect(matchTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, step - 2), now)).toBeNull();
    expect(matchTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, step + 2), now)).toBeNull();
  });

  it('computes steps from milliseconds, the step changing at each 30 s boundary', () => {
    expect(totpStep(at(59))).toBe(1);
    expect(totpStep(at(60) - 1)).toBe(1);
    expect(totpStep(at(60))).toBe(2);
  });

  it('tolerates spaces, as apps show codes ("050 471")', () => {
    expect(matchTotp(RFC_SECRET, '050 471', now)).toBe(step);
    expect(matchTotp(RFC_SECRET, ' 050471\t', now)).toBe(step);
  });

  it('refuses anything but exactly six digits', () => {
    for (const input of ['', '50471', '0504710', '05047a', '050-471', '０５０４７１', '12345678', '050471x']) {
      expect(matchTotp(RFC_SECRET, input, now), input).toBeNull();
    }
  });

  it('refuses a wrong code and another secret’s code', () => {
    expect(matchTotp(RFC_SECRET, '000000', now)).toBeNull();
    expect(matchTotp(newTotpSecret(), '050471', now)).toBeNull();
  });

  it('does not look before the epoch', () => {
    expect(matchTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, 0), 0)).toBe(0);
  });
});

describe('TOTP secrets and key URIs', () => {
  it('makes 160-bit base32 secrets, a new one each time', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    expect(matchTotp(secret, totpCodeAt(secret, totpStep(Date.now())), Date.now())).toBe(totpStep(Date.now()));
  });

  it('writes the otpauth key URI with the issuer as label prefix and as parameter', () => {
    const uri = otpauthUri({ secret: RFC_SECRET, accountName: 'ada+mfa@example.com', issuer: 'Gatehouse' });
    expect(uri).toBe(`otpauth://totp/Gatehouse:ada%2Bmfa%40example.com?secret=${RFC_SECRET}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30`);
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.searchParams.get('issuer')).toBe('Gatehouse');
  });

  it('encodes spaces and colons so the label has exactly one separator', () => {
    const uri = otpauthUri({ secret: RFC_SECRET, accountName: 'a:b@example.com', issuer: 'My IdP' });
    expect(uri.startsWith('otpauth://totp/My%20IdP:a%3Ab%40example.com?')).toBe(true);
    expect(uri).toContain('&issuer=My%20IdP&');
  });

  it('names the issuer by its host name, and binds sealed secrets to their person', () => {
    expect(totpIssuerName('https://login.example.com:8443/idp')).toBe('login.example.com');
    expect(totpSecretAad('user-1')).toBe('totp:user-1');
  });
});
