// What the server's event loop and the SQLite thread (writer-thread.ts) say to each other. Everything crosses by
// structured clone, which keeps plain records intact but not error classes: errors travel as name and message
// and become the same Gatehouse error class again on arrival, so callers catch ConflictError as before.
import { ConflictError, GatehouseError, KeyStoreError, LastAdminError, NotFoundError, StoreUnavailableError } from '../../../errors.js';
import type { SqliteSynchronous } from '../../../config.js';
import type { Store } from '../../store.js';

/** The repositories the thread serves; `transfer` stays on the caller's side (it takes callbacks). */
export type ThreadedRepository = Exclude<keyof Store, 'transfer' | 'ping' | 'close'>;

/** `$store` addresses the store itself: `ping`, `counts` (commits so far), and `close` after everything queued before it. */
export interface StoreCall {
  id: number;
  repository: ThreadedRepository | '$store';
  method: string;
  args: unknown[];
}

export interface SerializedError {
  name: string;
  message: string;
  detail?: string;
  code?: string;
}

export type StoreReply = { id: number; value: unknown } | { id: number; error: SerializedError };

/** The thread's first message: the database is open and migrated, or why not. */
export type ReadyMessage = { ready: true } | { ready: false; error: SerializedError };

export interface ThreadOptions {
  file: string;
  synchronous: SqliteSynchronous;
  /** AUDIT_CHAIN_KEY (SqliteStoreOptions): the thread writes the audit events. */
  auditChainKey?: Uint8Array | null;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const serialized: SerializedError = { name: error.name, message: error.message };
  if (error instanceof GatehouseError && error.detail !== undefined) serialized.detail = error.detail;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') serialized.code = code;
  return serialized;
}

const REBUILT: Record<string, new (message: string, detail?: string) => GatehouseError> = {
  ConflictError,
  KeyStoreError,
  LastAdminError,
  NotFoundError,
  StoreUnavailableError,
};

export function deserializeError(error: SerializedError): Error {
  const Known = REBUILT[error.name];
  if (Known) return new Known(error.message, error.detail);
  // A driver error (SqliteError with its code, e.g. SQLITE_BUSY): the same shape the direct store throws.
  return Object.assign(new Error(error.message), { name: error.name, ...(error.code ? { code: error.code } : {}) });
}
