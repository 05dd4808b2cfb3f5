// Client assertion jtis on PostgreSQL (RFC 7523 §3 (7), issue 22): remembered until the assertion expires.
import { assertionClientNotFound } from '../rows/client-assertions.js';
import type { ClientAssertionRepository } from '../store.js';
import { isAnyForeignKeyViolation, query, statement, type PostgresPool } from './database.js';

// The primary key (client_id, jti) decides: of concurrent uses on any number of nodes exactly one inserts (the
// others wait for its unique index entry and then do nothing). A row still there after its expiry counts as a use
// too, which refuses nothing a fresh check would accept (the assertion itself has expired by then).
const USE = statement('clientAssertions.use', 'INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (client_id, jti) DO NOTHING');
const DELETE_EXPIRED = statement('clientAssertions.deleteExpired', 'DELETE FROM client_assertion_jtis WHERE expires_at <= $1');

export class PostgresClientAssertionRepository implements ClientAssertionRepository {
  constructor(private readonly pool: PostgresPool) {}

  async use(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    try {
      return ((await query(this.pool, USE, [clientId, jti, expiresAt])).rowCount ?? 0) > 0;
    } catch (error) {
      if (isAnyForeignKeyViolation(error)) throw assertionClientNotFound(clientId);
      throw error;
    }
  }

  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
