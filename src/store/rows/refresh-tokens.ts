// The refresh tokens table's columns and how a row becomes a record, shared by every engine.
import type { ClientTokenSummary, RefreshTokenRecord } from '../records.js';

export interface RefreshTokenRow {
  token_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  session_id_hash: string | null;
  sid: string | null;
  amr: string;
  scope: string;
  auth_time: number;
  created_at: number;
  expires_at: number;
  grant_expires_at: number | null;
  kid: string | null;
  rotated_at: number | null;
  revoked_at: number | null;
  /** A JSON array of API identifiers (RFC 8707), '[]' for none. */
  resources: string;
  /** The session's upstream provider, carried from the code (migration 0014); NULL for a sign-in at Gatehouse itself. */
  idp: string | null;
  /** Issue 28 (migration 0018): the DPoP key's thumbprint (RFC 7638) a public client's token is bound to; NULL: unbound. */
  jkt: string | null;
}

export const COLUMNS =
  'token_hash, grant_id, client_id, user_id, session_id_hash, sid, amr, scope, auth_time, created_at, expires_at, grant_expires_at, kid, rotated_at, revoked_at, resources, idp, jkt';

export function toRecord(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionIdHash: row.session_id_hash,
    sid: row.sid,
    amr: JSON.parse(row.amr) as string[],
    idp: row.idp,
    scope: row.scope,
    authTime: row.auth_time,
    resources: JSON.parse(row.resources) as string[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    grantExpiresAt: row.grant_expires_at ?? row.expires_at,
    kid: row.kid,
    jkt: row.jkt,
    rotatedAt: row.rotated_at,
    revokedAt: row.revoked_at,
  };
}

/** One client's live tokens of one scope string: what clientsOfUser reads before summing up. */
export interface ClientScopeRow {
  client_id: string;
  scope: string;
  last_issued_at: number;
}

/**
 * What clientsOfUser reads, the engine's parameters as `{user}` and `{now}`: each client's distinct scope strings of
 * the person's live tokens (not rotated, not revoked, unexpired), newest first. refresh_tokens_by_user finds them.
 */
export const CLIENT_SCOPES =
  'SELECT client_id, scope, max(created_at) AS last_issued_at FROM refresh_tokens ' +
  'WHERE user_id = {user} AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > {now} ' +
  'GROUP BY client_id, scope ORDER BY last_issued_at DESC, client_id, scope';

/**
 * The rows of CLIENT_SCOPES as one summary per client, newest first: the scopes of the newest token in their order,
 * then each name the older ones add (a refresh keeps its grant's scope, so they rarely differ).
 */
export function clientSummaries(rows: readonly ClientScopeRow[]): ClientTokenSummary[] {
  const byClient = new Map<string, { scopes: Set<string>; lastIssuedAt: number }>();
  for (const row of rows) {
    let summary = byClient.get(row.client_id);
    if (!summary) {
      summary = { scopes: new Set(), lastIssuedAt: row.last_issued_at };
      byClient.set(row.client_id, summary);
    }
    for (const name of row.scope.split(' ')) if (name !== '') summary.scopes.add(name);
  }
  // A Map keeps the order of first insertion: the rows' order, newest first.
  return [...byClient].map(([clientId, { scopes, lastIssuedAt }]) => ({ clientId, scopes: [...scopes], lastIssuedAt }));
}

/** What revokeForUserClient's statements return per row: whether the token was still live (not rotated, unexpired). */
export interface RevokedRow {
  live: number | boolean;
}

/** How many of the revoked rows were live: a rotated token is revoked too (the reuse grace could still answer it). */
export function countLive(rows: readonly RevokedRow[]): number {
  return rows.filter((row) => Boolean(row.live)).length;
}
