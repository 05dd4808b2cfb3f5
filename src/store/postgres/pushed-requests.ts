// Pushed authorization requests on PostgreSQL (RFC 9126, issue 28): single use, for their short lifetime.
import type { NewPushedRequest, PushedRequestRecord } from '../records.js';
import { CONSUME, COLUMNS, pushedRequestClientNotFound, pushedRequestExists, toRecord, toValues, type PushedRequestRow } from '../rows/pushed-requests.js';
import type { PushedRequestRepository } from '../store.js';
import { isAnyForeignKeyViolation, isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const INSERT = statement('pushedRequests.insert', `INSERT INTO pushed_requests (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL)`);
// Of concurrent consumers on any number of nodes, the others wait for the winner's row lock, re-check the WHERE
// clause against the committed row (consumed_at now set), and match nothing.
const CONSUME_STMT = statement('pushedRequests.consume', CONSUME.replaceAll('{now}', '$1').replace('{hash}', '$2').replace('{client}', '$3'));
const DELETE_EXPIRED = statement('pushedRequests.deleteExpired', 'DELETE FROM pushed_requests WHERE expires_at <= $1');

export class PostgresPushedRequestRepository implements PushedRequestRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(request: NewPushedRequest): Promise<void> {
    try {
      await query(this.pool, INSERT, toValues(request));
    } catch (error) {
      if (isAnyForeignKeyViolation(error)) throw pushedRequestClientNotFound(request.clientId);
      if (isUniqueViolation(error)) throw pushedRequestExists();
      throw error;
    }
  }

  async consume(uriHash: string, clientId: string, now: number): Promise<PushedRequestRecord | null> {
    const row = (await query<PushedRequestRow>(this.pool, CONSUME_STMT, [now, uriHash, clientId])).rows[0];
    return row ? toRecord(row) : null;
  }

  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
