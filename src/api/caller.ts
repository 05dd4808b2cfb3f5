// Who calls the management API (issue 26): a machine client with an access token for the management API, or an
// administrator's personal token. Every handler is given one; src/api/authenticate.ts makes it.
import type { ManageScope } from '../store/records.js';

export interface ApiCaller {
  /** `client`: an access token from client_credentials; `admin_token`: a personal token (`idp admin token create`). */
  kind: 'client' | 'admin_token';
  /** The client id, or the personal token's public id. */
  id: string;
  /** Who acts, for the audit log: the client id, the administrator's user id, or `cli` (a token the operator made). */
  actor: string;
  /** The administrator a personal token acts as; null for a client and for an operator's token. */
  userId: string | null;
  /** The access token's `jti`, or the personal token's id: the audit log names it, never the token. */
  tokenId: string;
  scopes: ReadonlySet<ManageScope>;
}
