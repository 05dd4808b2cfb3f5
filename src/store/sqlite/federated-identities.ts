// Upstream identities linked to accounts, on SQLite (issue 23, migration 0014).
import type { FederatedIdentityRecord, NewFederatedIdentity } from '../records.js';
import { COLUMNS, linkConflict, linkTargetGone, toRecord, toValues, type FederatedIdentityRow } from '../rows/federated-identities.js';
import type { FederatedIdentityRepository } from '../store.js';
import { isForeignKeyViolation, type SqliteDatabase } from './database.js';

export class SqliteFederatedIdentityRepository implements FederatedIdentityRepository {
  private readonly insertStmt;
  private readonly byKey;
  private readonly forUser;
  private readonly listForUserStmt;
  private readonly touchStmt;
  private readonly unlinkStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string, string, string | null, number]>(`INSERT INTO federated_identities (${COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)`);
    this.byKey = db.prepare<[string, string], FederatedIdentityRow>(`SELECT ${COLUMNS} FROM federated_identities WHERE provider_slug = ? AND subject = ?`);
    this.forUser = db.prepare<[string, string], FederatedIdentityRow>(`SELECT ${COLUMNS} FROM federated_identities WHERE user_id = ? AND provider_slug = ?`);
    this.listForUserStmt = db.prepare<[string], FederatedIdentityRow>(`SELECT ${COLUMNS} FROM federated_identities WHERE user_id = ? ORDER BY provider_slug`);
    this.touchStmt = db.prepare<[string | null, number, string, string]>('UPDATE federated_identities SET email = ?, last_used_at = ? WHERE provider_slug = ? AND subject = ?');
    this.unlinkStmt = db.prepare<[string, string]>('DELETE FROM federated_identities WHERE user_id = ? AND provider_slug = ?');
  }

  async link(identity: NewFederatedIdentity): Promise<FederatedIdentityRecord> {
    try {
      // One INSERT: of concurrent links of one upstream identity (or of one account and provider) the primary key
      // (or the UNIQUE index) lets exactly one in.
      this.insertStmt.run(...toValues(identity));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw linkConflict('identity', identity);
      if (code === 'SQLITE_CONSTRAINT_UNIQUE') throw linkConflict('account', identity);
      if (isForeignKeyViolation(error)) throw linkTargetGone(identity);
      throw error;
    }
    return { ...identity, lastUsedAt: null };
  }

  async find(providerSlug: string, subject: string): Promise<FederatedIdentityRecord | null> {
    const row = this.byKey.get(providerSlug, subject);
    return row ? toRecord(row) : null;
  }

  async findForUser(userId: string, providerSlug: string): Promise<FederatedIdentityRecord | null> {
    const row = this.forUser.get(userId, providerSlug);
    return row ? toRecord(row) : null;
  }

  async listForUser(userId: string): Promise<FederatedIdentityRecord[]> {
    return this.listForUserStmt.all(userId).map(toRecord);
  }

  async touch(providerSlug: string, subject: string, email: string | null, now: number): Promise<void> {
    this.touchStmt.run(email, now, providerSlug, subject);
  }

  async unlink(userId: string, providerSlug: string): Promise<boolean> {
    return this.unlinkStmt.run(userId, providerSlug).changes > 0;
  }
}
