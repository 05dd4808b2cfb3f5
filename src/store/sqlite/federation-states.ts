// Federated sign-ins in progress on SQLite (issue 23, migration 0014): each state is used at most once.
import type { FederationStateKind, FederationStateRecord, NewFederationState } from '../records.js';
import { COLUMNS, toRecord, toValues, type FederationStateRow, type FederationStateValues } from '../rows/federation-states.js';
import type { FederationStateRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';

export class SqliteFederationStateRepository implements FederationStateRepository {
  private readonly insertStmt;
  private readonly consumeStmt;
  private readonly liveLinkStmt;
  private readonly deleteExpiredStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<FederationStateValues>(`INSERT INTO federation_states (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`);
    // One conditional statement, so of any number of concurrent callbacks presenting one state exactly one sees a row.
    this.consumeStmt = db.prepare<[number, string, FederationStateKind, number], FederationStateRow>(
      `UPDATE federation_states SET used_at = ? WHERE id_hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    // federation_states_by_browser (browser_hash, user_id) finds the few candidates.
    this.liveLinkStmt = db.prepare<[string, string, number], FederationStateRow>(
      `SELECT ${COLUMNS} FROM federation_states WHERE browser_hash = ? AND user_id = ? AND kind = 'link' AND used_at IS NULL AND expires_at > ? ` +
        'ORDER BY created_at DESC, id_hash DESC LIMIT 1',
    );
    this.deleteExpiredStmt = db.prepare<[number]>('DELETE FROM federation_states WHERE expires_at <= ?');
  }

  async create(state: NewFederationState): Promise<void> {
    this.insertStmt.run(...toValues(state));
  }

  async consume(idHash: string, kind: FederationStateKind, now: number): Promise<FederationStateRecord | null> {
    const row = this.consumeStmt.get(now, idHash, kind, now);
    return row ? toRecord(row) : null;
  }

  async findLiveLink(browserHash: string, userId: string, now: number): Promise<FederationStateRecord | null> {
    const row = this.liveLinkStmt.get(browserHash, userId, now);
    return row ? toRecord(row) : null;
  }

  /** A state counts as expired from its expires_at on, as in consume. */
  async deleteExpired(now: number): Promise<number> {
    return this.deleteExpiredStmt.run(now).changes;
  }
}
