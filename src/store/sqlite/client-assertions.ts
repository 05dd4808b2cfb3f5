// Client assertion jtis on SQLite (RFC 7523 §3 (7), issue 22): remembered until the assertion expires.
import { assertionClientNotFound } from '../rows/client-assertions.js';
import type { ClientAssertionRepository } from '../store.js';
import { isForeignKeyViolation, type SqliteDatabase } from './database.js';

export class SqliteClientAssertionRepository implements ClientAssertionRepository {
  private readonly useStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    // The primary key (client_id, jti) decides: of any number of concurrent uses exactly one inserts. A row still
    // there after its expiry counts as a use too, which refuses nothing a fresh check would accept (the assertion
    // itself has expired by then).
    this.useStmt = db.prepare<[string, string, number]>('INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT (client_id, jti) DO NOTHING');
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM client_assertion_jtis WHERE expires_at <= ?');
  }

  async use(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    try {
      return this.useStmt.run(clientId, jti, expiresAt).changes > 0;
    } catch (error) {
      if (isForeignKeyViolation(error)) throw assertionClientNotFound(clientId);
      throw error;
    }
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
