import type { ClientTokenSummary, GrantReference, NewRefreshToken, RefreshTokenRecord } from '../records.js';
import type { RefreshTokenRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { CLIENT_SCOPES, clientSummaries, COLUMNS, countLive, toRecord, type ClientScopeRow, type RefreshTokenRow, type RevokedRow } from '../rows/refresh-tokens.js';

/** Whether the space-separated scope holds offline_access, compared exactly (LIKE would ignore case and treat _ as a wildcard). */
const OFFLINE = "instr(' ' || scope || ' ', ' offline_access ') > 0";

export class SqliteRefreshTokenRepository implements RefreshTokenRepository {
  private readonly insertStmt;
  private readonly byHash;
  private readonly rotateStmt;
  private readonly revokeGrantStmt;
  private readonly revokeForUserStmt;
  private readonly revokeForSessionStmt;
  private readonly revokeOnlineForSessionStmt;
  private readonly grantsByKid;
  private readonly clientScopesStmt;
  private readonly revokeForUserClientStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare(`INSERT INTO refresh_tokens (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING`);
    this.byHash = db.prepare<[string], RefreshTokenRow>(`SELECT ${COLUMNS} FROM refresh_tokens WHERE token_hash = ?`);
    // One conditional statement, so of any number of concurrent rotations exactly one sees a row (RFC 9700 §4.14.2).
    this.rotateStmt = db.prepare<[number, string, number], RefreshTokenRow>(
      `UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ? AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
    // Already revoked tokens keep the time they were first revoked.
    this.revokeGrantStmt = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL');
    this.revokeForUserStmt = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL');
    this.revokeForSessionStmt = db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE session_id_hash = ? AND revoked_at IS NULL');
    this.revokeOnlineForSessionStmt = db.prepare(`UPDATE refresh_tokens SET revoked_at = ? WHERE session_id_hash = ? AND revoked_at IS NULL AND NOT ${OFFLINE}`);
    this.grantsByKid = db.prepare<[string], { grant_id: string; session_id_hash: string | null }>('SELECT DISTINCT grant_id, session_id_hash FROM refresh_tokens WHERE kid = ? ORDER BY grant_id');
    this.clientScopesStmt = db.prepare<[{ user: string; now: number }], ClientScopeRow>(CLIENT_SCOPES.replace('{user}', '@user').replace('{now}', '@now'));
    // Every unrevoked, unexpired token of the person at the client, rotated ones too (a retry within the reuse grace
    // presents a rotated token). INDEXED BY, because without statistics the planner prefers refresh_tokens_by_client,
    // which holds every person's tokens at the client; a person holds few.
    this.revokeForUserClientStmt = db.prepare<[number, string, string, number], RevokedRow>(
      'UPDATE refresh_tokens INDEXED BY refresh_tokens_by_user SET revoked_at = ? WHERE user_id = ? AND client_id = ? AND revoked_at IS NULL AND expires_at > ? RETURNING rotated_at IS NULL AS live',
    );
  }

  async create(token: NewRefreshToken): Promise<void> {
    this.createNow(token);
  }

  /** create(), synchronously: for a caller's transaction (issuance.ts). */
  createNow(token: NewRefreshToken): void {
    this.insertStmt.run(
      token.tokenHash,
      token.grantId,
      token.clientId,
      token.userId,
      token.sessionIdHash,
      token.sid,
      JSON.stringify(token.amr),
      token.scope,
      token.authTime,
      token.createdAt,
      token.expiresAt,
      token.grantExpiresAt,
      token.kid,
      JSON.stringify(token.resources),
      token.idp ?? null,
      token.jkt ?? null,
    );
  }

  async find(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const row = this.byHash.get(tokenHash);
    return row ? toRecord(row) : null;
  }

  async rotate(tokenHash: string, now: number): Promise<RefreshTokenRecord | null> {
    const row = this.rotateStmt.get(now, tokenHash, now);
    return row ? toRecord(row) : null;
  }

  /** rotate(), synchronously and without the row: for a caller's transaction (issuance.ts). */
  rotateNow(tokenHash: string, now: number): boolean {
    return this.rotateStmt.get(now, tokenHash, now) !== undefined;
  }

  async revokeGrant(grantId: string, now: number): Promise<number> {
    return this.revokeGrantStmt.run(now, grantId).changes;
  }

  async revokeForUser(userId: string, now: number): Promise<number> {
    return this.revokeForUserStmt.run(now, userId).changes;
  }

  async revokeForSession(sessionIdHash: string, now: number, options: { keepOffline: boolean }): Promise<number> {
    const statement = options.keepOffline ? this.revokeOnlineForSessionStmt : this.revokeForSessionStmt;
    return statement.run(now, sessionIdHash).changes;
  }

  async grantsSignedBy(kid: string): Promise<GrantReference[]> {
    return this.grantsByKid.all(kid).map((row) => ({ grantId: row.grant_id, sessionIdHash: row.session_id_hash }));
  }

  async clientsOfUser(userId: string, now: number): Promise<ClientTokenSummary[]> {
    return clientSummaries(this.clientScopesStmt.all({ user: userId, now }));
  }

  async revokeForUserClient(userId: string, clientId: string, now: number): Promise<number> {
    return countLive(this.revokeForUserClientStmt.all(now, userId, clientId, now));
  }
}
