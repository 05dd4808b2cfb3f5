// The federated_identities table's columns and how a row becomes a record, shared by every engine (issue 23,
// migration 0014).
import { ConflictError, NotFoundError } from '../../errors.js';
import type { FederatedIdentityRecord, NewFederatedIdentity } from '../records.js';

export interface FederatedIdentityRow {
  provider_slug: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: number;
  last_used_at: number | null;
}

export const COLUMNS = 'provider_slug, subject, user_id, email, created_at, last_used_at';

export function toRecord(row: FederatedIdentityRow): FederatedIdentityRecord {
  return { providerSlug: row.provider_slug, subject: row.subject, userId: row.user_id, email: row.email, createdAt: row.created_at, lastUsedAt: row.last_used_at };
}

/** A new link's values in COLUMNS order, last_used_at left out (an INSERT writes NULL there). */
export function toValues(identity: NewFederatedIdentity): [string, string, string, string | null, number] {
  return [identity.providerSlug, identity.subject, identity.userId, identity.email, identity.createdAt];
}

/** Which uniqueness a link broke: the upstream identity (the primary key) or the account's one per provider. */
export type LinkTaken = 'identity' | 'account';

export function linkConflict(taken: LinkTaken, identity: NewFederatedIdentity): ConflictError {
  return taken === 'identity'
    ? new ConflictError(`this ${identity.providerSlug} identity is already linked to an account`)
    : new ConflictError(`the account is already linked to an identity of ${identity.providerSlug}`);
}

/** The account or the provider a link names is gone (deleted meanwhile). */
export function linkTargetGone(identity: NewFederatedIdentity): NotFoundError {
  return new NotFoundError(`there is no account ${identity.userId} or no identity provider ${identity.providerSlug} to link`);
}
