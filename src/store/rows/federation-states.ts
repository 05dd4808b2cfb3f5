// The federation_states table's columns and how a row becomes a record, shared by every engine (issue 23,
// migration 0014).
import type { FederationStateKind, FederationStateRecord, NewFederationState } from '../records.js';

export interface FederationStateRow {
  id_hash: string;
  kind: string;
  provider_slug: string;
  browser_hash: string;
  user_id: string | null;
  value: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export const COLUMNS = 'id_hash, kind, provider_slug, browser_hash, user_id, value, created_at, expires_at, used_at';

export function toRecord(row: FederationStateRow): FederationStateRecord {
  return {
    idHash: row.id_hash,
    // The table's CHECK admits only the kinds the type names.
    kind: row.kind as FederationStateKind,
    providerSlug: row.provider_slug,
    browserHash: row.browser_hash,
    userId: row.user_id,
    value: row.value,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

export type FederationStateValues = [string, FederationStateKind, string, string, string | null, string, number, number];

/** A new state's values in COLUMNS order, used_at left out (an INSERT writes NULL there). */
export function toValues(state: NewFederationState): FederationStateValues {
  return [state.idHash, state.kind, state.providerSlug, state.browserHash, state.userId, state.value, state.createdAt, state.expiresAt];
}
