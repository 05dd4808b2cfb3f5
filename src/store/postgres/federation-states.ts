// Federated sign-ins in progress on PostgreSQL (issue 23, migration 0014): each state is used at most once.
import type { FederationStateKind, FederationStateRecord, NewFederationState } from '../records.js';
import { COLUMNS, toRecord, toValues, type FederationStateRow } from '../rows/federation-states.js';
import type { FederationStateRepository } from '../store.js';
import { query, statement, type PostgresPool } from './database.js';

const INSERT = statement('federationStates.insert', `INSERT INTO federation_states (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)`);
// One conditional statement, so of any number of concurrent callbacks presenting one state exactly one sees a row:
// the others wait for its row lock, re-check the WHERE clause against the committed row, and match nothing.
const CONSUME = statement('federationStates.consume', `UPDATE federation_states SET used_at = $1 WHERE id_hash = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $1 RETURNING ${COLUMNS}`);
// federation_states_by_browser (browser_hash, user_id) finds the few candidates.
const LIVE_LINK = statement(
  'federationStates.liveLink',
  `SELECT ${COLUMNS} FROM federation_states WHERE browser_hash = $1 AND user_id = $2 AND kind = 'link' AND used_at IS NULL AND expires_at > $3 ` +
    'ORDER BY created_at DESC, id_hash DESC LIMIT 1',
);
const DELETE_EXPIRED = statement('federationStates.deleteExpired', 'DELETE FROM federation_states WHERE expires_at <= $1');

export class PostgresFederationStateRepository implements FederationStateRepository {
  constructor(private readonly pool: PostgresPool) {}

  async create(state: NewFederationState): Promise<void> {
    await query(this.pool, INSERT, toValues(state));
  }

  async consume(idHash: string, kind: FederationStateKind, now: number): Promise<FederationStateRecord | null> {
    const row = (await query<FederationStateRow>(this.pool, CONSUME, [now, idHash, kind])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findLiveLink(browserHash: string, userId: string, now: number): Promise<FederationStateRecord | null> {
    const row = (await query<FederationStateRow>(this.pool, LIVE_LINK, [browserHash, userId, now])).rows[0];
    return row ? toRecord(row) : null;
  }

  /** A state counts as expired from its expires_at on, as in consume. */
  async deleteExpired(now: number): Promise<number> {
    return (await query(this.pool, DELETE_EXPIRED, [now])).rowCount ?? 0;
  }
}
