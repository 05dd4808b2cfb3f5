// The multi-factor policy's rules (src/auth/mfa-policy.ts), every input on its own: who must pass two factors,
// who may be set one up during a sign-in (never on acr_values alone, issue 19 F4), whether an existing session
// is enough for single sign-on, and the `acr` a sign-in's `amr` gives (OIDC Core §2, RFC 8176).
import { describe, expect, it } from 'vitest';
import { ACR_MFA, ACR_PASSWORD, acrOf, enrolmentRequired, mfaRequired, satisfiesMfaPolicy } from '../../src/auth/mfa-policy.js';

const nothing = { requireMfa: false, client: null, acrValues: [] as string[] };
const lenient = { requireMfa: false };
const strict = { requireMfa: true };

describe('mfaRequired: REQUIRE_MFA, the client’s rule, or acr_values naming the mfa class (OIDC Core §3.1.2.1)', () => {
  it('is false when nothing asks, with or without a client', () => {
    expect(mfaRequired(nothing)).toBe(false);
    expect(mfaRequired({ ...nothing, client: lenient })).toBe(false);
    expect(mfaRequired({ ...nothing, client: lenient, acrValues: [ACR_PASSWORD] })).toBe(false);
  });

  it('is true for each of the three on its own', () => {
    expect(mfaRequired({ ...nothing, requireMfa: true })).toBe(true);
    expect(mfaRequired({ ...nothing, client: strict })).toBe(true);
    expect(mfaRequired({ ...nothing, acrValues: [ACR_MFA] })).toBe(true);
    // acr_values is a list in order of preference: the mfa class anywhere in it counts.
    expect(mfaRequired({ ...nothing, acrValues: [ACR_PASSWORD, ACR_MFA] })).toBe(true);
  });
});

describe('enrolmentRequired: only the operator’s rules set a factor up during a sign-in', () => {
  it('is true for REQUIRE_MFA and for a client that requires multi-factor', () => {
    expect(enrolmentRequired({ requireMfa: true, client: null })).toBe(true);
    expect(enrolmentRequired({ requireMfa: true, client: lenient })).toBe(true);
    expect(enrolmentRequired({ requireMfa: false, client: strict })).toBe(true);
  });

  it('is false otherwise, our own pages (no client) included', () => {
    expect(enrolmentRequired({ requireMfa: false, client: null })).toBe(false);
    expect(enrolmentRequired({ requireMfa: false, client: lenient })).toBe(false);
  });
});

describe('satisfiesMfaPolicy: whether an existing sign-in is enough (single sign-on)', () => {
  it('takes any sign-in where nothing asks for two factors', () => {
    expect(satisfiesMfaPolicy(['pwd'], nothing)).toBe(true);
    expect(satisfiesMfaPolicy(['pwd', 'otp', 'mfa'], nothing)).toBe(true);
  });

  it('takes only a sign-in with mfa in its amr where two factors are asked for', () => {
    for (const input of [
      { ...nothing, requireMfa: true },
      { ...nothing, client: strict },
      { ...nothing, acrValues: [ACR_MFA] },
    ]) {
      expect(satisfiesMfaPolicy(['pwd'], input)).toBe(false);
      expect(satisfiesMfaPolicy(['pwd', 'otp'], input)).toBe(false);
      expect(satisfiesMfaPolicy(['pwd', 'otp', 'mfa'], input)).toBe(true);
    }
  });
});

describe('acrOf (OIDC Core §2 acr from the RFC 8176 amr)', () => {
  it('is the mfa class exactly when the amr holds mfa', () => {
    expect(acrOf(['pwd', 'otp', 'mfa'])).toBe(ACR_MFA);
    expect(acrOf(['hwk', 'user', 'mfa'])).toBe(ACR_MFA);
    expect(acrOf(['pwd'])).toBe(ACR_PASSWORD);
    expect(acrOf(['pwd', 'otp'])).toBe(ACR_PASSWORD);
  });

  it('names two distinct classes', () => {
    expect(ACR_MFA).not.toBe(ACR_PASSWORD);
    expect(ACR_MFA).toBe('urn:gatehouse:acr:mfa');
    expect(ACR_PASSWORD).toBe('urn:gatehouse:acr:password');
  });
});

describe('a group that requires a second factor of its members (issue 21)', () => {
  const none = { requireMfa: false, client: null, acrValues: [] };

  it('requires it, and its set-up, for a member on any application and on our own pages', () => {
    expect(mfaRequired({ ...none, groupRequiresMfa: true })).toBe(true);
    expect(mfaRequired({ ...none, client: { requireMfa: false }, groupRequiresMfa: true })).toBe(true);
    expect(enrolmentRequired({ requireMfa: false, client: null, groupRequiresMfa: true })).toBe(true);
    expect(satisfiesMfaPolicy(['pwd'], { ...none, groupRequiresMfa: true })).toBe(false);
    expect(satisfiesMfaPolicy(['pwd', 'otp', 'mfa'], { ...none, groupRequiresMfa: true })).toBe(true);
  });

  it('asks nothing of a person in no such group', () => {
    expect(mfaRequired({ ...none, groupRequiresMfa: false })).toBe(false);
    expect(enrolmentRequired({ requireMfa: false, client: null, groupRequiresMfa: false })).toBe(false);
    expect(mfaRequired(none)).toBe(false);
  });
});
