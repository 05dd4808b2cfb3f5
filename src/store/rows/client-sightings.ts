// The client_sightings table (migration 0017) summarised per client, shared by every engine: where each client
// authenticated from, and when a JWKS fetch last came from there (key rotation readiness, best effort).
import type { ClientSightingSummary } from '../records.js';

export interface ClientSightingSummaryRow {
  client_id: string;
  last_seen_at: number;
  last_jwks_fetch_at: number | null;
}

/**
 * One row per client seen at or after the bound (`{since}`), in client id order. The last JWKS fetch is the
 * latest over all of the client's addresses and User-Agents: one instance that fetched is taken for the client.
 */
export const SUMMARY = `SELECT client_id, MAX(seen_at) AS last_seen_at, MAX(jwks_fetched_at) AS last_jwks_fetch_at
  FROM client_sightings GROUP BY client_id HAVING MAX(seen_at) >= {since} ORDER BY client_id`;

/**
 * Neither seen nor fetching the JWKS since the bound (`{before}`): a row whose address still fetches the JWKS is
 * kept, so that the client's next authentication from there finds the fetch already recorded.
 */
export const STALE = 'seen_at < {before} AND (jwks_fetched_at IS NULL OR jwks_fetched_at < {before})';

export function toSummary(row: ClientSightingSummaryRow): ClientSightingSummary {
  return { clientId: row.client_id, lastSeenAt: row.last_seen_at, lastJwksFetchAt: row.last_jwks_fetch_at };
}
