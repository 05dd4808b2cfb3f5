// Client sightings on SQLite (issue 26, migration 0017): where each client authenticated from, and when a JWKS
// fetch last came from there. Best-effort observations: a client deleted meanwhile is simply not recorded.
import type { ClientSightingSummary } from '../records.js';
import { STALE, SUMMARY, toSummary, type ClientSightingSummaryRow } from '../rows/client-sightings.js';
import type { ClientSightingRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';

interface Origin {
  address: string;
  userAgent: string;
}

export class SqliteClientSightingRepository implements ClientSightingRepository {
  private readonly sawStmt;
  private readonly jwksStmt;
  private readonly summaryStmt;
  private readonly deleteStmt;

  constructor(db: SqliteDatabase) {
    // A new row starts with the latest JWKS fetch already seen from its address and User-Agent (the fetch is
    // attributed to every client seen there, whichever came first); the SELECT's WHERE skips a deleted client
    // instead of failing on the foreign key (SQLite needs a WHERE there anyway to parse the upsert).
    this.sawStmt = db.prepare<[Origin & { clientId: string; now: number }]>(
      `INSERT INTO client_sightings (client_id, address, user_agent, seen_at, jwks_fetched_at)
       SELECT @clientId, @address, @userAgent, @now,
              (SELECT MAX(jwks_fetched_at) FROM client_sightings WHERE address = @address AND user_agent = @userAgent)
       WHERE EXISTS (SELECT 1 FROM clients WHERE client_id = @clientId)
       ON CONFLICT (client_id, address, user_agent) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)`,
    );
    // client_sightings_origin. A later fetch is never replaced by an earlier one (writes may arrive out of order).
    this.jwksStmt = db.prepare<[Origin & { now: number }]>(
      `UPDATE client_sightings SET jwks_fetched_at = @now
       WHERE address = @address AND user_agent = @userAgent AND (jwks_fetched_at IS NULL OR jwks_fetched_at < @now)`,
    );
    this.summaryStmt = db.prepare<[number], ClientSightingSummaryRow>(SUMMARY.replace('{since}', '?'));
    this.deleteStmt = db.prepare<[{ before: number }]>(`DELETE FROM client_sightings WHERE ${STALE.replaceAll('{before}', '@before')}`);
  }

  async saw(clientId: string, address: string, userAgent: string, now: number): Promise<void> {
    this.sawStmt.run({ clientId, address, userAgent, now });
  }

  async jwksFetched(address: string, userAgent: string, now: number): Promise<number> {
    return this.jwksStmt.run({ address, userAgent, now }).changes;
  }

  async summary(since: number): Promise<ClientSightingSummary[]> {
    return this.summaryStmt.all(since).map(toSummary);
  }

  async deleteBefore(before: number): Promise<number> {
    return this.deleteStmt.run({ before }).changes;
  }
}
