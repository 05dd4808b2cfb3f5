// TOTP second factors (RFC 6238): SHA-1, 6 digits, 30-second steps, the parameters every authenticator app
// supports. otplib computes the codes; this module decides which time steps are acceptable and returns the one
// that matched, which the store accepts only once (RFC 6238 §5.2, TotpRepository.useStep).
import { generateSecret, generateSync } from 'otplib';
import { constantTimeEqual } from './secrets.js';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** RFC 6238 §5.2 allows one step of clock drift each way; more widens the window a stolen code stays good. */
const WINDOW = 1;
const CODE_PATTERN = /^\d{6}$/;

/** A new shared secret: 20 random bytes (160 bits, RFC 4226 §4's recommended length), base32 without padding. */
export function newTotpSecret(): string {
  // Stryker disable next-line ObjectLiteral: equivalent; otplib's generateSecret defaults to 20 bytes too (the length is written out to say so here)
  return generateSecret({ length: 20 });
}

/** The associated data that binds a sealed TOTP secret to its person's row (src/auth/secret-box.ts). */
export function totpSecretAad(userId: string): string {
  return `totp:${userId}`;
}

/** The label an authenticator app shows for this server: the issuer URL's host name, without port or path. */
export function totpIssuerName(issuerUrl: string): string {
  return new URL(issuerUrl).hostname;
}

/**
 * The `otpauth://totp/<issuer>:<account>?secret=…&issuer=…` key URI authenticator apps read from the QR code
 * (Google Authenticator's Key Uri Format: issuer both as the label prefix and as a parameter). A colon inside
 * the issuer or account name would split the label, so it is percent-encoded like every other reserved character.
 */
export function otpauthUri({ secret, accountName, issuer }: { secret: string; accountName: string; issuer: string }): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  const parameters = new URLSearchParams({
    secret,
    issuer,
    algorithm: 'SHA1',
    digits: String(DIGITS),
    period: String(PERIOD_SECONDS),
  });
  // URLSearchParams writes a space as '+', which the key URI format does not define; %20 is unambiguous.
  return `otpauth://totp/${label}?${parameters.toString().replace(/\+/g, '%20')}`;
}

/** The time step that `now` (milliseconds) falls in. */
export function totpStep(now: number): number {
  return Math.floor(now / 1000 / PERIOD_SECONDS);
}

/** The code of one time step (for tests and for showing what an app should display). */
export function totpCodeAt(secret: string, step: number): string {
  return generateSync({ secret, epoch: step * PERIOD_SECONDS, period: PERIOD_SECONDS, digits: DIGITS, algorithm: 'sha1' });
}

/**
 * The time step whose code `code` is (the current one, else the one before, else the one after), or null.
 * The code must be exactly six digits once spaces are removed ("123 456" as apps show it). Every candidate is
 * computed and compared in constant time, so the answer's timing says nothing about which step matched.
 */
export function matchTotp(secret: string, code: string, now: number): number | null {
  const presented = code.replace(/\s+/g, '');
  if (!CODE_PATTERN.test(presented)) return null;
  const current = totpStep(now);
  let matched: number | null = null;
  // Current step first, then the earlier one, then the later one: the first match is the step recorded as used.
  for (const delta of [0, -WINDOW, WINDOW]) {
    const step = current + delta;
    if (step < 0) continue;
    const equal = constantTimeEqual(totpCodeAt(secret, step), presented);
    if (equal && matched === null) matched = step;
  }
  return matched;
}
