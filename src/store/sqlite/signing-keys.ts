import { ConflictError } from '../../errors.js';
import type { SigningKeyChange, SigningKeyRecord } from '../records.js';
import type { SigningKeyRepository } from '../store.js';
import { isUniqueViolation, type SqliteDatabase } from './database.js';
import { COLUMNS, toRecord, type SigningKeyRow } from '../rows/signing-keys.js';

export class SqliteSigningKeyRepository implements SigningKeyRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly updateStmt;
  private readonly insertUnlessScheduledTx;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO signing_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.listStmt = db.prepare<[], SigningKeyRow>(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at DESC, kid`);
    // An absent fact keeps its value (COALESCE with NULL); a stored retirement is never replaced (COALESCE the
    // other way round), and one statement makes that check and write atomic.
    this.updateStmt = db.prepare<[number | null, number | null, number | null, string], SigningKeyRow>(
      `UPDATE signing_keys SET activated_at = COALESCE(?, activated_at), revoked_at = COALESCE(?, revoked_at), retired_at = COALESCE(retired_at, ?)
       WHERE kid = ? RETURNING ${COLUMNS}`,
    );
    const scheduledStmt = db.prepare('SELECT 1 FROM signing_keys WHERE activated_at > ? AND revoked_at IS NULL LIMIT 1');
    this.insertUnlessScheduledTx = db.transaction((key: SigningKeyRecord, after: number): boolean => {
      if (scheduledStmt.get(after) !== undefined) return false;
      this.insertStmt.run(key.kid, key.alg, key.publicJwk, key.privateKeyCiphertext, key.createdAt, key.activatedAt, key.retiredAt, key.revokedAt);
      return true;
    });
  }

  async insertUnlessScheduled(key: SigningKeyRecord, after: number): Promise<boolean> {
    // IMMEDIATE takes the write lock before reading, so two processes cannot both find nothing scheduled.
    return this.insertUnlessScheduledTx.immediate(key, after);
  }

  async insert(key: SigningKeyRecord): Promise<void> {
    try {
      this.insertStmt.run(key.kid, key.alg, key.publicJwk, key.privateKeyCiphertext, key.createdAt, key.activatedAt, key.retiredAt, key.revokedAt);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a signing key with the kid ${key.kid} already exists`);
      throw error;
    }
  }

  async list(): Promise<SigningKeyRecord[]> {
    return this.listStmt.all().map(toRecord);
  }

  async update(kid: string, change: SigningKeyChange): Promise<SigningKeyRecord | null> {
    const row = this.updateStmt.get(change.activatedAt ?? null, change.revokedAt ?? null, change.retiredAt ?? null, kid);
    return row ? toRecord(row) : null;
  }
}
