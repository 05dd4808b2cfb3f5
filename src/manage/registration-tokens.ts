// Initial access tokens for dynamic client registration (issue 24, RFC 7591 §3: "initial access token"): an
// administrator creates one (`idp registration token create`, the admin Registration screen) and hands it to a
// developer, who presents it as a bearer token to POST /register while DYNAMIC_REGISTRATION=token. The rules shared
// by the `idp` tool and the admin screens.
//
// The token is shown once, in the answer that created it, and stored only as a SHA-256 hash (as client secrets are):
// a copy of the store registers nothing. It is bounded by a number of uses (1 to 10,000, or none: until it expires or
// is revoked) and an expiry (in the future, within a year, or none); a revoked token is deleted. Created and revoked
// tokens are audited (`registration_token.created`, `registration_token.revoked`), never with the token itself.
import { hashSecret, randomId, randomSecret } from '../auth/secrets.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { RegistrationTokenRecord } from '../store/records.js';
import type { ManageContext } from './users.js';

export const MAX_REGISTRATION_TOKEN_USES = 10_000;
/** A token for later registrations is a standing permission: it is renewed at least once a year. */
export const MAX_REGISTRATION_TOKEN_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;

export interface RegistrationTokenInput {
  /** Registrations it may make (1 to 10,000); absent for no limit. */
  uses?: number;
  /** When it stops working (epoch milliseconds, in the future, at most a year ahead); absent for never. */
  expiresAt?: number;
}

export interface CreatedRegistrationToken {
  /** The token itself: shown once, here, and nowhere else. */
  token: string;
  record: RegistrationTokenRecord;
}

function checkUses(uses: number | undefined): number | null {
  if (uses === undefined) return null;
  if (!Number.isInteger(uses) || uses < 1 || uses > MAX_REGISTRATION_TOKEN_USES) {
    throw new ValidationError('uses', `the number of uses must be a whole number from 1 to ${MAX_REGISTRATION_TOKEN_USES.toLocaleString('en')} (or no limit at all)`);
  }
  return uses;
}

function checkExpiry(expiresAt: number | undefined, now: number): number | null {
  if (expiresAt === undefined) return null;
  if (!Number.isFinite(expiresAt)) throw new ValidationError('expires_at', 'the expiry must be a date and time');
  if (expiresAt <= now) throw new ValidationError('expires_at', 'the expiry must be in the future');
  if (expiresAt > now + MAX_REGISTRATION_TOKEN_LIFETIME_MS) throw new ValidationError('expires_at', 'the expiry must be within a year from now');
  return expiresAt;
}

/**
 * Creates an initial access token; every rule is checked before anything is written. `actor` (an administrator's
 * user id, or `cli`) is recorded as its creator and in the audit log.
 */
export async function createRegistrationToken(ctx: ManageContext, input: RegistrationTokenInput, actor: string = ctx.actor): Promise<CreatedRegistrationToken> {
  const now = ctx.clock.now();
  const usesLeft = checkUses(input.uses);
  const expiresAt = checkExpiry(input.expiresAt, now);
  const token = randomSecret();
  const record = await ctx.store.registrationTokens.create({ id: randomId(), tokenHash: hashSecret(token), usesLeft, createdBy: actor, createdAt: now, expiresAt });
  await ctx.store.audit.append({
    at: now,
    type: 'registration_token.created',
    actor,
    subject: record.id,
    ip: ctx.ip ?? null,
    details: { id: record.id, uses: record.usesLeft, expires_at: record.expiresAt === null ? null : new Date(record.expiresAt).toISOString() },
  });
  return { token, record };
}

/** Every token, newest first, expired and used-up ones too (until housekeeping removes the expired): never the tokens themselves. */
export function listRegistrationTokens(ctx: Pick<ManageContext, 'store'>): Promise<RegistrationTokenRecord[]> {
  return ctx.store.registrationTokens.list();
}

/** Revokes (deletes) a token by its public id: a NotFoundError when there is none, nothing written. */
export async function revokeRegistrationToken(ctx: ManageContext, id: string, actor: string = ctx.actor): Promise<void> {
  if (!(await ctx.store.registrationTokens.delete(id))) throw new NotFoundError(`no initial access token ${JSON.stringify(id)}`);
  await ctx.store.audit.append({ at: ctx.clock.now(), type: 'registration_token.revoked', actor, subject: id, ip: ctx.ip ?? null, details: { id } });
}
