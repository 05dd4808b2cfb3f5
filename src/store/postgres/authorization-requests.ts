import type { AuthorizationRequestRecord, NewAuthorizationRequest } from '../records.js';
import type { AuthorizationRequestRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';
import { COLUMNS, toRecord, type AuthorizationRequestRow } from '../rows/authorization-requests.js';

const INSERT = statement('authorizationRequests.insert', `INSERT INTO authorization_requests (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL)`);
const LIVE_BY_ID = statement('authorizationRequests.liveById', `SELECT ${COLUMNS} FROM authorization_requests WHERE id_hash = $1 AND consumed_at IS NULL AND expires_at > $2`);
// One conditional statement: a request completes once, even when the form is submitted twice at once.
const CONSUME = statement(
  'authorizationRequests.consume',
  `UPDATE authorization_requests SET consumed_at = $1 WHERE id_hash = $2 AND consumed_at IS NULL AND expires_at > $3 RETURNING ${COLUMNS}`,
);
const DELETE_EXPIRED = statement('authorizationRequests.deleteExpired', 'DELETE FROM authorization_requests WHERE expires_at <= $1');

export class PostgresAuthorizationRequestRepository implements AuthorizationRequestRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(request: NewAuthorizationRequest): Promise<void> {
    await query(this.pool, INSERT, [request.idHash, request.browserHash, request.clientId, JSON.stringify(request.params), request.createdAt, request.expiresAt]);
  }

  async findLive(idHash: string, now: number): Promise<AuthorizationRequestRecord | null> {
    const row = (await query<AuthorizationRequestRow>(this.pool, LIVE_BY_ID, [idHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async consume(idHash: string, now: number): Promise<AuthorizationRequestRecord | null> {
    const row = (await query<AuthorizationRequestRow>(this.pool, CONSUME, [now, idHash, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
