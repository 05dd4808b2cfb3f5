// Setting up an authenticator app (RFC 6238), wherever it happens: from the account page, or in the middle of a
// sign-in that needs a second factor the person does not have yet. The secret is sealed before it is stored and
// opened only to show it to its owner; the first code confirms it; ten recovery codes come with it.
import type { Clock } from '../clock.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { qrSvg } from './qr-svg.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import type { SecretBox } from './secret-box.js';
import { matchTotp, newTotpSecret, otpauthUri, totpIssuerName, totpSecretAad } from './totp.js';

export interface EnrolmentDependencies {
  store: Store;
  clock: Clock;
  secretBox: () => Promise<SecretBox>;
  config: { issuer: string };
}

/** What the owner's notice mail says when an authenticator is confirmed, wherever that happened. */
export const TOTP_ON = 'Two-step verification was turned on: signing in now asks for a code from an authenticator app.';

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

/** The pending authenticator to show, or null when there is none (never set up, or already confirmed). */
export async function enrolmentDisplay(deps: EnrolmentDependencies, user: UserRecord): Promise<EnrolmentDisplay | null> {
  const credential = await deps.store.totp.find(user.id);
  if (!credential || credential.confirmedAt !== null) return null;
  const secret = (await deps.secretBox()).open(credential.sealedSecret, totpSecretAad(user.id));
  const uri = otpauthUri({ secret, accountName: user.email, issuer: totpIssuerName(deps.config.issuer) });
  return { qr: await qrSvg(uri), secret: secret.replace(/(.{4})(?=.)/g, '$1 ') };
}

/** Ten new recovery codes replace the old ones; only their hashes are kept, the codes are shown once. */
export async function issueRecoveryCodes(deps: Pick<EnrolmentDependencies, 'store' | 'clock'>, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await deps.store.recoveryCodes.replace(userId, codes.map((code) => hashRecoveryCode(code)), deps.clock.now());
  return codes;
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
