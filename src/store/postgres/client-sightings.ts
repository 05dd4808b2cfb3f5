// Client sightings on PostgreSQL (issue 26, migration 0017): where each client authenticated from, and when a
// JWKS fetch last came from there. Best-effort observations: a client deleted meanwhile is simply not recorded.
import type { ClientSightingSummary } from '../records.js';
import { STALE, SUMMARY, toSummary, type ClientSightingSummaryRow } from '../rows/client-sightings.js';
import type { ClientSightingRepository } from '../store.js';
import { isAnyForeignKeyViolation, query, statement, type PostgresPool } from './database.js';

// A new row starts with the latest JWKS fetch already seen from its address and User-Agent (the fetch is
// attributed to every client seen there, whichever came first); the WHERE skips a client already deleted.
const SAW = statement(
  'clientSightings.saw',
  `INSERT INTO client_sightings (client_id, address, user_agent, seen_at, jwks_fetched_at)
   SELECT $1::text, $2::text, $3::text, $4::bigint,
          (SELECT MAX(jwks_fetched_at) FROM client_sightings WHERE address = $2::text AND user_agent = $3::text)
   WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = $1::text)
   ON CONFLICT (client_id, address, user_agent) DO UPDATE SET seen_at = GREATEST(client_sightings.seen_at, EXCLUDED.seen_at)`,
);
// client_sightings_origin. A later fetch is never replaced by an earlier one (writes may arrive out of order).
const JWKS_FETCHED = statement(
  'clientSightings.jwksFetched',
  'UPDATE client_sightings SET jwks_fetched_at = $3 WHERE address = $1 AND user_agent = $2 AND (jwks_fetched_at IS NULL OR jwks_fetched_at < $3)',
);
const SUMMARY_SINCE = statement('clientSightings.summary', SUMMARY.replace('{since}', '$1'));
const DELETE_STALE = statement('clientSightings.deleteBefore', `DELETE FROM client_sightings WHERE ${STALE.replaceAll('{before}', '$1')}`);

export class PostgresClientSightingRepository implements ClientSightingRepository {
  constructor(private readonly pool: PostgresPool) {}

  async saw(clientId: string, address: string, userAgent: string, now: number): Promise<void> {
    try {
      await query(this.pool, SAW, [clientId, address, userAgent, now]);
    } catch (error) {
      // Deleted between the EXISTS and the insert's foreign key check: nothing to record.
      if (!isAnyForeignKeyViolation(error)) throw error;
    }
  }

  async jwksFetched(address: string, userAgent: string, now: number): Promise<number> {
    return (await query(this.pool, JWKS_FETCHED, [address, userAgent, now])).rowCount ?? 0;
  }

  async summary(since: number): Promise<ClientSightingSummary[]> {
    return (await query<ClientSightingSummaryRow>(this.pool, SUMMARY_SINCE, [since])).rows.map(toSummary);
  }

  async deleteBefore(before: number): Promise<number> {
    return (await query(this.pool, DELETE_STALE, [before])).rowCount ?? 0;
  }
}
