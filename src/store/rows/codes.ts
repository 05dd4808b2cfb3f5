// The codes table's columns and how a row becomes a record, shared by every engine.
import type { AuthorizationCodeRecord } from '../records.js';

export interface CodeRow {
  code_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  session_id_hash: string | null;
  sid: string | null;
  amr: string;
  redirect_uri: string;
  scope: string;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  auth_time: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  replayed_at: number | null;
  /** A JSON array of API identifiers (RFC 8707), '[]' for none. */
  resources: string;
  /** The session's upstream provider (migration 0014); NULL for a sign-in at Gatehouse itself. */
  idp: string | null;
  /** Issue 28 (migration 0018): the DPoP key's thumbprint (RFC 7638) the code is bound to (RFC 9449 §10); NULL: unbound. */
  dpop_jkt: string | null;
}

export const COLUMNS =
  'code_hash, grant_id, client_id, user_id, session_id_hash, sid, amr, redirect_uri, scope, nonce, code_challenge, ' +
  'code_challenge_method, auth_time, created_at, expires_at, consumed_at, replayed_at, resources, idp, dpop_jkt';

export function toRecord(row: CodeRow): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionIdHash: row.session_id_hash,
    sid: row.sid,
    amr: JSON.parse(row.amr) as string[],
    idp: row.idp,
    redirectUri: row.redirect_uri,
    scope: row.scope,
    nonce: row.nonce,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method as AuthorizationCodeRecord['codeChallengeMethod'],
    authTime: row.auth_time,
    resources: JSON.parse(row.resources) as string[],
    dpopJkt: row.dpop_jkt,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
    replayedAt: row.replayed_at,
  };
}
