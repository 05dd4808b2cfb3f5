// How a sign-in's progress is written into a step's challenge and read back (src/interaction/sign-in-progress.ts):
// factors, flags, a sealed enrolment secret and a password-hash fingerprint survive the round trip; nothing a
// stored value holds can pass for another kind of token; a step's CSRF token is its own.
import { describe, expect, it } from 'vitest';
import { encodeChallengeValue, parseChallengeValue, passwordFingerprint, stepCsrf } from '../../src/interaction/sign-in-progress.js';

describe('sign-in progress in a challenge', () => {
  it('round-trips factors, flags, an enrolment secret, a password fingerprint and the upstream provider', () => {
    const value = {
      factors: ['fed', 'otp', 'mfa'],
      flags: ['password_breached' as const],
      enrolment: 'sealed.secret-value',
      password: passwordFingerprint('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$ZGlnZXN0'),
      idp: 'acme-sso',
    };
    const encoded = encodeChallengeValue(value);
    expect(encoded).toBe(`fed otp mfa flag=password_breached enrol=sealed.secret-value pwd-hash=${value.password} idp=acme-sso`);
    expect(parseChallengeValue(encoded)).toEqual(value);
  });

  it("reads the values written before flags existed (the second step's factors and enrolment only)", () => {
    expect(parseChallengeValue('pwd')).toEqual({ factors: ['pwd'], flags: [], enrolment: null, password: null, idp: null });
    expect(parseChallengeValue('pwd enrol=abc')).toEqual({ factors: ['pwd'], flags: [], enrolment: 'abc', password: null, idp: null });
    expect(encodeChallengeValue({ factors: ['pwd'], flags: [], enrolment: null })).toBe('pwd');
  });

  it('drops a flag it does not know, and never counts a special token as a factor', () => {
    const parsed = parseChallengeValue('pwd flag=made_up flag=password_breached enrol=x pwd-hash=y');
    expect(parsed.flags).toEqual(['password_breached']);
    expect(parsed.factors).toEqual(['pwd']);
    expect(parseChallengeValue('  pwd   otp  ').factors).toEqual(['pwd', 'otp']);
  });

  it('fingerprints each password hash differently, and never as the hash itself', () => {
    const a = passwordFingerprint('$argon2id$v=19$m=19456,t=2,p=1$YQ$YQ');
    const b = passwordFingerprint('$argon2id$v=19$m=19456,t=2,p=1$Yg$Yg');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(passwordFingerprint('$argon2id$v=19$m=19456,t=2,p=1$YQ$YQ')).toBe(a);
  });

  it('gives each step and each challenge its own CSRF token for one browser', () => {
    expect(stepCsrf('browser', 'second_factor', 'id')).not.toBe(stepCsrf('browser', 'new_password', 'id'));
    expect(stepCsrf('browser', 'new_password', 'id')).not.toBe(stepCsrf('browser', 'new_password', 'id2'));
    expect(stepCsrf('browser', 'new_password', 'id')).not.toBe(stepCsrf('other', 'new_password', 'id'));
    expect(stepCsrf('browser', 'new_password', 'id')).toBe(stepCsrf('browser', 'new_password', 'id'));
  });
});
