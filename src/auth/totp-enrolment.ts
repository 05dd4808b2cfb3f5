// Setting up an authenticator app (RFC 6238), wherever it happens: from the account page, or in the middle of a
// sign-in that needs a second factor the person does not have yet. The secret is sealed before it is stored and
// opened only to show it to its owner; the first code confirms it; ten recovery codes come with it.
// Each flow shows only its own secret: the account page's pending one lives in the TOTP row; a sign-in's lives in
// that sign-in's challenge until its first code (bindAuthenticator), so neither flow ever shows the other's.
import type { Clock } from '../clock.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { qrSvg } from './qr-svg.js';
import { newRecoveryCodes, recoveryCodeHash } from './recovery-codes.js';
import type { SecretBox } from './secret-box.js';
import { matchTotp, newTotpSecret, otpauthUri, totpIssuerName, totpSecretAad } from './totp.js';

export interface EnrolmentDependencies {
  store: Store;
  clock: Clock;
  secretBox: () => Promise<SecretBox>;
  config: { issuer: string };
}

/** What the person scans or types: the QR code (our own SVG) and the key in groups of four. */
export interface EnrolmentDisplay {
  qr: string;
  secret: string;
}

/** Stores a new unconfirmed authenticator; false (nothing written) when one is already confirmed. */
export async function beginEnrolment(deps: EnrolmentDependencies, userId: string): Promise<boolean> {
  const sealedSecret = (await deps.secretBox()).seal(newTotpSecret(), totpSecretAad(userId));
  return deps.store.totp.begin({ userId, sealedSecret, createdAt: deps.clock.now() });
}

/** The pending authenticator of the account page to show, or null when there is none (never set up, or already confirmed). */
export async function enrolmentDisplay(deps: EnrolmentDependencies, user: UserRecord): Promise<EnrolmentDisplay | null> {
  const credential = await deps.store.totp.find(user.id);
  if (!credential || credential.confirmedAt !== null) return null;
  return displayOf(deps, user, (await deps.secretBox()).open(credential.sealedSecret, totpSecretAad(user.id)));
}

/** How a secret is shown to its owner: the QR code of its key URI, and the key itself in groups of four. */
export async function displayOf(deps: Pick<EnrolmentDependencies, 'config'>, user: UserRecord, secret: string): Promise<EnrolmentDisplay> {
  const uri = otpauthUri({ secret, accountName: user.email, issuer: totpIssuerName(deps.config.issuer) });
  return { qr: await qrSvg(uri), secret: secret.replace(/(.{4})(?=.)/g, '$1 ') };
}

/** Ten new recovery codes replace the old ones; only their keyed hashes are kept, the codes are shown once. */
export async function issueRecoveryCodes(deps: Pick<EnrolmentDependencies, 'store' | 'clock' | 'secretBox'>, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  const box = await deps.secretBox();
  await deps.store.recoveryCodes.replace(
    userId,
    codes.map((code) => recoveryCodeHash(box, userId, code)),
    deps.clock.now(),
  );
  return codes;
}

/**
 * Binds `secret`, held by a sign-in rather than stored, with a first code it shows now: it replaces whatever set-up
 * was pending (the account page's, never shown here) and is confirmed at once. `wrong_code` writes nothing;
 * `taken` (nothing written either) when an authenticator was confirmed for the person meanwhile.
 */
export async function bindAuthenticator(
  deps: EnrolmentDependencies,
  userId: string,
  secret: string,
  code: string,
): Promise<{ outcome: 'bound'; codes: string[] } | { outcome: 'wrong_code' } | { outcome: 'taken' }> {
  const now = deps.clock.now();
  const step = matchTotp(secret, code, now);
  if (step === null) return { outcome: 'wrong_code' };
  const sealedSecret = (await deps.secretBox()).seal(secret, totpSecretAad(userId));
  if (!(await deps.store.totp.begin({ userId, sealedSecret, createdAt: now }))) return { outcome: 'taken' };
  // Between these two writes another set-up could replace this pending row; both need the password and a
  // notice mail goes out either way, so the window is not guarded further.
  // Stryker disable next-line ObjectLiteral,StringLiteral: reached only when the row changes between begin and confirm, a race no test can time
  if (!(await deps.store.totp.confirm(userId, step, now))) return { outcome: 'taken' };
  return { outcome: 'bound', codes: await issueRecoveryCodes(deps, userId) };
}

/**
 * Confirms the pending authenticator with a code it shows now (its step is recorded as used, so the same code
 * cannot then sign anyone in) and returns the new recovery codes; null for a wrong code or nothing pending.
 */
export async function confirmEnrolment(deps: EnrolmentDependencies, userId: string, code: string): Promise<string[] | null> {
  const credential = await deps.store.totp.find(userId);
  if (!credential || credential.confirmedAt !== null) return null;
  const secret = (await deps.secretBox()).open(credential.sealedSecret, totpSecretAad(userId));
  const step = matchTotp(secret, code, deps.clock.now());
  if (step === null || !(await deps.store.totp.confirm(userId, step, deps.clock.now()))) return null;
  return issueRecoveryCodes(deps, userId);
}
