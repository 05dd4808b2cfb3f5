// Single-use JWT ids on SQLite (issue 28): request objects (RFC 9101 §10.8) and DPoP proofs (RFC 9449 §11.1).
import type { UsedJtiKind } from '../records.js';
import type { UsedJtiRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';

export class SqliteUsedJtiRepository implements UsedJtiRepository {
  private readonly useStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    // The primary key (kind, scope, jti) decides: of any number of concurrent uses exactly one inserts. A row still
    // there after its expiry counts as a use too, which refuses nothing a fresh check would accept (the JWT itself
    // is outside its acceptance window by then).
    this.useStmt = db.prepare<[string, string, string, number]>('INSERT INTO used_jtis (kind, scope, jti, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, scope, jti) DO NOTHING');
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM used_jtis WHERE expires_at <= ?');
  }

  async use(kind: UsedJtiKind, scope: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.useStmt.run(kind, scope, jti, expiresAt).changes > 0;
  }

  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
