// The pushed_requests table's columns and how a row becomes a record, shared by every engine (issue 28, RFC 9126,
// migration 0018).
import { ConflictError, NotFoundError } from '../../errors.js';
import type { NewPushedRequest, PushedRequestRecord } from '../records.js';

export interface PushedRequestRow {
  uri_hash: string;
  client_id: string;
  /** The pushed parameters as JSON text, read whole, never queried by content. */
  params: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export const COLUMNS = 'uri_hash, client_id, params, created_at, expires_at, consumed_at';

/**
 * The one statement that spends a request_uri, the engine's parameters as `{now}`, `{hash}` and `{client}`: it
 * matches only an unconsumed, unexpired request of that client, so of concurrent consumers exactly one sees a row
 * (the others find consumed_at set once the winner's write is visible), and a wrong client_id spends nothing
 * (RFC 9126 §4: the request_uri is bound to the client that pushed it).
 */
export const CONSUME = 'UPDATE pushed_requests SET consumed_at = {now} WHERE uri_hash = {hash} AND client_id = {client} AND consumed_at IS NULL AND expires_at > {now} ' + `RETURNING ${COLUMNS}`;

export type PushedRequestValues = [uriHash: string, clientId: string, params: string, createdAt: number, expiresAt: number];

/** A new request's values in COLUMNS order, without consumed_at (NULL). */
export function toValues(request: NewPushedRequest): PushedRequestValues {
  return [request.uriHash, request.clientId, JSON.stringify(request.params), request.createdAt, request.expiresAt];
}

export function toRecord(row: PushedRequestRow): PushedRequestRecord {
  return {
    uriHash: row.uri_hash,
    clientId: row.client_id,
    params: JSON.parse(row.params) as PushedRequestRecord['params'],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

/** A push for a client that is not there (deleted meanwhile): nothing is stored. */
export function pushedRequestClientNotFound(clientId: string): NotFoundError {
  return new NotFoundError(`there is no client with the id ${clientId}`);
}

/** Two pushes with the same request_uri hash: with ≥ 128 random bits this is a caller's bug, never overwritten. */
export function pushedRequestExists(): ConflictError {
  return new ConflictError('a pushed request with this request_uri already exists');
}
