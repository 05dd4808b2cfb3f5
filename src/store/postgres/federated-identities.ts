// Upstream identities linked to accounts, on PostgreSQL (issue 23, migration 0014).
import pg from 'pg';
import type { FederatedIdentityRecord, NewFederatedIdentity } from '../records.js';
import { COLUMNS, linkConflict, linkTargetGone, toRecord, toValues, type FederatedIdentityRow } from '../rows/federated-identities.js';
import type { FederatedIdentityRepository } from '../store.js';
import { isAnyForeignKeyViolation, isUniqueViolation, query, statement, type PostgresPool } from './database.js';

const INSERT = statement('federatedIdentities.insert', `INSERT INTO federated_identities (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL)`);
const BY_KEY = statement('federatedIdentities.byKey', `SELECT ${COLUMNS} FROM federated_identities WHERE provider_slug = $1 AND subject = $2`);
const FOR_USER = statement('federatedIdentities.forUser', `SELECT ${COLUMNS} FROM federated_identities WHERE user_id = $1 AND provider_slug = $2`);
const LIST_FOR_USER = statement('federatedIdentities.listForUser', `SELECT ${COLUMNS} FROM federated_identities WHERE user_id = $1 ORDER BY provider_slug`);
const TOUCH = statement('federatedIdentities.touch', 'UPDATE federated_identities SET email = $1, last_used_at = $2 WHERE provider_slug = $3 AND subject = $4');
const UNLINK = statement('federatedIdentities.unlink', 'DELETE FROM federated_identities WHERE user_id = $1 AND provider_slug = $2');

export class PostgresFederatedIdentityRepository implements FederatedIdentityRepository {
  constructor(private readonly pool: PostgresPool) {}

  async link(identity: NewFederatedIdentity): Promise<FederatedIdentityRecord> {
    try {
      // One INSERT: of concurrent links of one upstream identity (or of one account and provider) the primary key
      // (or the UNIQUE index) lets exactly one in; the others wait for its commit and then fail.
      await query(this.pool, INSERT, toValues(identity));
    } catch (error) {
      if (isUniqueViolation(error)) throw linkConflict((error as pg.DatabaseError).constraint === 'federated_identities_pkey' ? 'identity' : 'account', identity);
      if (isAnyForeignKeyViolation(error)) throw linkTargetGone(identity);
      throw error;
    }
    return { ...identity, lastUsedAt: null };
  }

  async find(providerSlug: string, subject: string): Promise<FederatedIdentityRecord | null> {
    const row = (await query<FederatedIdentityRow>(this.pool, BY_KEY, [providerSlug, subject])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findForUser(userId: string, providerSlug: string): Promise<FederatedIdentityRecord | null> {
    const row = (await query<FederatedIdentityRow>(this.pool, FOR_USER, [userId, providerSlug])).rows[0];
    return row ? toRecord(row) : null;
  }

  async listForUser(userId: string): Promise<FederatedIdentityRecord[]> {
    return (await query<FederatedIdentityRow>(this.pool, LIST_FOR_USER, [userId])).rows.map(toRecord);
  }

  async touch(providerSlug: string, subject: string, email: string | null, now: number): Promise<void> {
    await query(this.pool, TOUCH, [email, now, providerSlug, subject]);
  }

  async unlink(userId: string, providerSlug: string): Promise<boolean> {
    return ((await query(this.pool, UNLINK, [userId, providerSlug])).rowCount ?? 0) > 0;
  }
}
