// The tables of sign-ins and what they issued, in the order TRANSFER_TABLES (./tables.ts) moves them: after the
// people, the applications and the providers their rows name. Kept apart only to keep tables.ts readable.
// Only a type comes from ./tables.ts, which imports this file: no value crosses the cycle.
import type { TransferTable } from './tables.js';

/** A time in milliseconds. */
const ts = 'int' as const;

export const GRANT_TABLES: readonly TransferTable[] = [
  {
    name: 'sessions',
    columns: {
      id_hash: 'text',
      sid: 'text',
      user_id: 'text',
      amr: 'text',
      auth_time: ts,
      created_at: ts,
      last_seen_at: ts,
      expires_at: ts,
      reauthenticated_at: ts,
      idp: 'text',
    },
    orderBy: ['id_hash'],
  },
  {
    name: 'session_clients',
    columns: { sid: 'text', client_id: 'text', first_issued_at: ts },
    orderBy: ['sid', 'client_id'],
  },
  {
    name: 'authorization_requests',
    columns: { id_hash: 'text', browser_hash: 'text', client_id: 'text', params: 'text', created_at: ts, expires_at: ts, consumed_at: ts },
    orderBy: ['id_hash'],
  },
  {
    // Issue 28: pushed authorization requests (RFC 9126) move as pending authorization requests do: a request_uri
    // spent before the move stays spent, one pushed just before it still works once.
    name: 'pushed_requests',
    columns: { uri_hash: 'text', client_id: 'text', params: 'text', created_at: ts, expires_at: ts, consumed_at: ts },
    orderBy: ['uri_hash'],
  },
  {
    name: 'authorization_codes',
    columns: {
      code_hash: 'text',
      grant_id: 'text',
      client_id: 'text',
      user_id: 'text',
      session_id_hash: 'text',
      redirect_uri: 'text',
      scope: 'text',
      nonce: 'text',
      code_challenge: 'text',
      code_challenge_method: 'text',
      auth_time: ts,
      created_at: ts,
      expires_at: ts,
      consumed_at: ts,
      sid: 'text',
      amr: 'text',
      replayed_at: ts,
      resources: 'text',
      idp: 'text',
      // Issue 28: the DPoP key the code is bound to (RFC 9449 §10).
      dpop_jkt: 'text',
    },
    orderBy: ['code_hash'],
  },
  {
    name: 'refresh_tokens',
    columns: {
      token_hash: 'text',
      grant_id: 'text',
      client_id: 'text',
      user_id: 'text',
      session_id_hash: 'text',
      scope: 'text',
      auth_time: ts,
      created_at: ts,
      expires_at: ts,
      rotated_at: ts,
      revoked_at: ts,
      sid: 'text',
      amr: 'text',
      grant_expires_at: ts,
      kid: 'text',
      resources: 'text',
      idp: 'text',
      // Issue 28: a public client's refresh token stays bound to its DPoP key (RFC 9449 §5).
      jkt: 'text',
    },
    orderBy: ['token_hash'],
  },
  {
    name: 'access_tokens',
    columns: {
      jti: 'text',
      grant_id: 'text',
      client_id: 'text',
      user_id: 'text',
      session_id_hash: 'text',
      created_at: ts,
      expires_at: ts,
      revoked_at: ts,
      kid: 'text',
      format: 'text',
      audience: 'text',
      scope: 'text',
      auth_time: ts,
      // Issue 28: an opaque token's DPoP binding lives only here (introspection's cnf, RFC 9449 §6.2).
      jkt: 'text',
    },
    orderBy: ['jti'],
  },
  {
    // Device authorizations in progress move as pending authorization requests do: a device polling across the
    // move gets its tokens, and a code spent before it stays spent.
    name: 'device_codes',
    columns: {
      device_code_hash: 'text',
      user_code_hash: 'text',
      client_id: 'text',
      scope: 'text',
      resources: 'text',
      created_at: ts,
      expires_at: ts,
      poll_interval: 'int',
      last_polled_at: ts,
      status: 'text',
      user_id: 'text',
      session_id_hash: 'text',
      sid: 'text',
      amr: 'text',
      idp: 'text',
      auth_time: ts,
      decided_at: ts,
      consumed_at: ts,
    },
    orderBy: ['device_code_hash'],
  },
  {
    // Used client assertion jtis move too: an import must not make a captured assertion usable again.
    name: 'client_assertion_jtis',
    columns: { client_id: 'text', jti: 'text', expires_at: ts },
    orderBy: ['client_id', 'jti'],
  },
  {
    // Issue 28: so do used request-object and DPoP-proof jtis (RFC 9101 §10.8, RFC 9449 §11.1).
    name: 'used_jtis',
    columns: { kind: 'text', scope: 'text', jti: 'text', expires_at: ts },
    orderBy: ['kind', 'scope', 'jti'],
  },
];
