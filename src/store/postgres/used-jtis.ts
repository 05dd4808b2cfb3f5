// Single-use JWT ids on PostgreSQL (issue 28): request objects (RFC 9101 §10.8) and DPoP proofs (RFC 9449 §11.1),
// shared by every node.
import type { UsedJtiKind } from '../records.js';
import type { UsedJtiRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';

// The primary key (kind, scope, jti) decides: of concurrent uses on any number of nodes exactly one inserts (the
// others wait for its unique index entry and then do nothing). A row still there after its expiry counts as a use
// too, which refuses nothing a fresh check would accept (the JWT itself is outside its acceptance window by then).
const USE = statement('usedJtis.use', 'INSERT INTO used_jtis (kind, scope, jti, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, scope, jti) DO NOTHING');
const DELETE_EXPIRED = statement('usedJtis.deleteExpired', 'DELETE FROM used_jtis WHERE expires_at <= $1');

export class PostgresUsedJtiRepository implements UsedJtiRepository {
  constructor(private readonly pool: PostgresPool) {}

  async use(kind: UsedJtiKind, scope: string, jti: string, expiresAt: number): Promise<boolean> {
    return ((await query(this.pool, USE, [kind, scope, jti, expiresAt])).rowCount ?? 0) > 0;
  }

  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
