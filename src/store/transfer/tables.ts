// The tables `idp export` and `idp import` move, in an order that satisfies every foreign key, with each
// column's portable kind. A JSON line holds a row as these kinds (text, a safe integer, a boolean or null),
// whichever engine wrote it. Signing keys are not here: they move through the key stores (files with SQLite,
// encrypted rows with PostgreSQL), re-encrypted for the journey; nor are federated sign-ins in progress, the
// delivery queue and the applications' sightings (NOT_TRANSFERRED). A test checks this list against both schemas.
import { ConflictError, ValidationError } from '../../errors.js';
import { GRANT_TABLES } from './grant-tables.js';

export type ColumnKind = 'text' | 'int' | 'bool';

export interface TransferTable {
  name: string;
  columns: Readonly<Record<string, ColumnKind>>;
  /** Rows are read in this order, so that two exports of the same data are the same file. */
  orderBy: readonly string[];
  /** A column the database numbers itself (the audit log's id), written as is and the numbering moved past it. */
  identity?: string;
  /**
   * Columns of bytes (BLOB / BYTEA): 'text' in `columns`, as the file holds them as base64 (RFC 4648 §4, padded), which
   * each engine turns back into the same bytes (bytesOf).
   */
  binary?: readonly string[];
  /**
   * A condition (SQL both engines read) true for the rows a new store makes by itself, which an import replaces: an
   * empty target may hold them, and they are deleted before the export's rows go in (the built-in management API).
   */
  regenerated?: string;
}

const ts = 'int' as const;

export const TRANSFER_TABLES: readonly TransferTable[] = [
  {
    // Before the users: a healthy store never has a live user with a retired id, so any order would load, and
    // this one lets the trigger of migration 0005 refuse an altered export that brings one back to life.
    name: 'retired_subjects',
    columns: { id: 'text', retired_at: ts },
    orderBy: ['id'],
  },
  {
    name: 'users',
    columns: {
      id: 'text',
      email: 'text',
      email_normalized: 'text',
      name: 'text',
      name_normalized: 'text',
      password_hash: 'text',
      is_admin: 'bool',
      disabled: 'bool',
      email_verified: 'bool',
      has_password: 'bool',
      // Issue 25: the language and time zone the person chose (their pages and mails keep them after a move).
      locale: 'text',
      time_zone: 'text',
      created_at: ts,
      updated_at: ts,
      // Issue 26: the management API's ETag; it moves, so that an If-Match read before the move still holds after it.
      version: 'int',
    },
    orderBy: ['id'],
  },
  {
    name: 'clients',
    columns: {
      client_id: 'text',
      name: 'text',
      client_type: 'text',
      secret_hash: 'text',
      token_endpoint_auth_method: 'text',
      redirect_uris: 'text',
      post_logout_redirect_uris: 'text',
      backchannel_logout_uri: 'text',
      grant_types: 'text',
      scopes: 'text',
      pkce_required: 'bool',
      require_mfa: 'bool',
      refresh_reuse_grace: 'int',
      access_policy: 'text',
      groups_claim: 'text',
      initiate_login_uri: 'text',
      logo_uri: 'text',
      access_contact: 'text',
      jwks: 'text',
      jwks_uri: 'text',
      // Issue 24: first- or third-party, how it was registered, the pages it names, its registration access token's
      // hash (a dynamically registered client keeps managing itself after the move).
      third_party: 'bool',
      origin: 'text',
      client_uri: 'text',
      policy_uri: 'text',
      tos_uri: 'text',
      registration_token_hash: 'text',
      // Issue 28: whether the client must push its requests (RFC 9126 §6) and prove a DPoP key (RFC 9449 §5.2): an
      // imported server holds it to the same.
      require_pushed_authorization_requests: 'bool',
      dpop_bound_access_tokens: 'bool',
      created_at: ts,
      updated_at: ts,
      version: 'int',
    },
    orderBy: ['client_id'],
  },
  {
    // APIs (issue 22) and the clients' grants on them: an imported server mints tokens for the same audiences, to
    // the same clients, with the same scopes.
    name: 'apis',
    columns: {
      id: 'text',
      name: 'text',
      identifier: 'text',
      scopes: 'text',
      token_lifetime: 'int',
      token_format: 'text',
      accepts: 'text',
      // Issue 26: the management API's own record stays the built-in one (src/manage/management-api.ts finds it so).
      built_in: 'bool',
      created_at: ts,
      updated_at: ts,
      version: 'int',
    },
    orderBy: ['id'],
    // Every start (and every `idp` command, `idp import` too) makes the built-in row for its issuer: the target's is
    // replaced by the export's, which keeps its id, so the clients granted it keep their grants; the next start
    // sets its identifier to the target's issuer.
    regenerated: 'built_in',
  },
  {
    name: 'client_apis',
    columns: { client_id: 'text', api_id: 'text', role: 'text', scopes: 'text' },
    orderBy: ['client_id', 'api_id', 'role'],
  },
  {
    // Groups (issue 21) after the users and the clients their rows name: memberships and client rules move with them,
    // so that an imported server admits to each application exactly whom the old one did.
    name: 'groups',
    columns: { id: 'text', name: 'text', name_key: 'text', description: 'text', require_mfa: 'bool', created_at: ts, updated_at: ts, version: 'int' },
    orderBy: ['id'],
  },
  {
    name: 'group_members',
    columns: { group_id: 'text', user_id: 'text', added_at: ts },
    orderBy: ['group_id', 'user_id'],
  },
  {
    name: 'client_groups',
    columns: { client_id: 'text', group_id: 'text', role: 'text' },
    orderBy: ['client_id', 'role', 'group_id'],
  },
  {
    name: 'attribute_definitions',
    columns: { name: 'text', type: 'text', claim: 'text', scope: 'text', user_visible: 'bool', created_at: ts },
    orderBy: ['name'],
  },
  {
    // Values are JSON text, moved as written.
    name: 'user_attributes',
    columns: { user_id: 'text', name: 'text', value: 'text', updated_at: ts },
    orderBy: ['user_id', 'name'],
  },
  {
    // Upstream providers and directories (issue 23) after the users, and the identities linking the two: people
    // sign in through the same upstreams to the same accounts. `settings` is JSON text, moved as written; `secret` is
    // sealed under the source's secret box and re-sealed under the target's by the transfer (src/manage/
    // transfer-secrets.ts), as TOTP secrets are. Federated sign-ins in progress (federation_states) last minutes and
    // are not moved: one that crosses the move starts again.
    name: 'identity_providers',
    columns: {
      slug: 'text',
      kind: 'text',
      name: 'text',
      button_label: 'text',
      icon_url: 'text',
      enabled: 'bool',
      settings: 'text',
      secret: 'text',
      jit: 'bool',
      allowed_domains: 'text',
      trust_email: 'bool',
      trust_mfa: 'bool',
      groups_mode: 'text',
      created_at: ts,
      updated_at: ts,
    },
    orderBy: ['slug'],
  },
  {
    name: 'federated_identities',
    columns: { provider_slug: 'text', subject: 'text', user_id: 'text', email: 'text', created_at: ts, last_used_at: ts },
    orderBy: ['provider_slug', 'subject'],
  },
  {
    // Issue 24: what people allowed third-party applications (after the users and the clients they name), so that
    // nobody is asked again after a move; `scopes` is JSON text, moved as written.
    name: 'consents',
    columns: { user_id: 'text', client_id: 'text', scopes: 'text', granted_at: ts, updated_at: ts, last_used_at: ts },
    orderBy: ['user_id', 'client_id'],
  },
  {
    // Initial access tokens (hashes only) with the uses they have left: an import hands out no fresh budget.
    name: 'registration_tokens',
    columns: { id: 'text', token_hash: 'text', uses_left: 'int', used: 'int', created_by: 'text', created_at: ts, expires_at: ts },
    orderBy: ['id'],
  },
  {
    // Issue 26: administrators' personal tokens for the management API (hashes only, after the users they act as):
    // scripts keep working after a move, and a revoked or expired token stays so.
    name: 'admin_tokens',
    columns: {
      id: 'text',
      token_hash: 'text',
      user_id: 'text',
      scopes: 'text',
      description: 'text',
      created_by: 'text',
      created_at: ts,
      expires_at: ts,
      revoked_at: ts,
      last_used_at: ts,
    },
    orderBy: ['id'],
  },
  {
    // Issue 26: webhook endpoints and the events each receives. The signing secret is sealed under the source's secret
    // box and re-sealed under the target's by the transfer (src/manage/transfer-secrets.ts), as TOTP secrets are, so
    // receivers verify the target's signatures with the secret they have.
    name: 'webhooks',
    columns: { id: 'text', url: 'text', description: 'text', secret_sealed: 'text', enabled: 'bool', created_at: ts, updated_at: ts },
    orderBy: ['id'],
  },
  {
    name: 'webhook_event_types',
    columns: { webhook_id: 'text', pattern: 'text' },
    orderBy: ['webhook_id', 'pattern'],
  },
  {
    // Issue 25: what the admin "Branding" screen saved (one row at most), its images as base64, with its version (so
    // the assets' URLs and the next save's compare-and-set go on from it).
    name: 'branding',
    columns: {
      id: ts,
      name: 'text',
      color: 'text',
      logo: 'text',
      logo_type: 'text',
      favicon: 'text',
      favicon_type: 'text',
      css: 'text',
      version: ts,
      updated_at: ts,
      updated_by: 'text',
    },
    orderBy: ['id'],
    binary: ['logo', 'favicon'],
  },
  // Sign-ins and what they issued (./grant-tables.ts).
  ...GRANT_TABLES,
  {
    // Counters move too: an import must not hand an attacker a fresh budget.
    name: 'throttle_counters',
    columns: { key: 'text', attempts: ts, window_started_at: ts, blocked_until: ts, last_attempt_at: ts, expires_at: ts },
    orderBy: ['key'],
  },
  {
    name: 'account_tokens',
    columns: { token_hash: 'text', purpose: 'text', user_id: 'text', email: 'text', created_at: ts, expires_at: ts, used_at: ts },
    orderBy: ['token_hash'],
  },
  {
    // Second factors move with the people: after an import nobody signs in with less than before.
    name: 'totp_credentials',
    columns: { user_id: 'text', sealed_secret: 'text', confirmed_at: ts, last_used_step: ts, created_at: ts },
    orderBy: ['user_id'],
  },
  {
    name: 'recovery_codes',
    columns: { user_id: 'text', code_hash: 'text', created_at: ts, used_at: ts },
    orderBy: ['user_id', 'code_hash'],
  },
  {
    name: 'passkeys',
    columns: {
      credential_id: 'text',
      user_id: 'text',
      name: 'text',
      public_key: 'text',
      counter: ts,
      transports: 'text',
      device_type: 'text',
      backed_up: 'bool',
      created_at: ts,
      last_used_at: ts,
    },
    orderBy: ['credential_id'],
  },
  {
    // Sign-ins in progress move too, as pending authorization requests do: a person half-way through one finishes it.
    name: 'sign_in_challenges',
    columns: {
      id_hash: 'text',
      purpose: 'text',
      browser_hash: 'text',
      user_id: 'text',
      value: 'text',
      created_at: ts,
      expires_at: ts,
      used_at: ts,
    },
    orderBy: ['id_hash'],
  },
  {
    name: 'audit_events',
    columns: {
      id: ts,
      at: ts,
      type: 'text',
      actor: 'text',
      subject: 'text',
      client_id: 'text',
      ip: 'text',
      outcome: 'text',
      details: 'text',
      prev_hash: 'text',
      hash: 'text',
    },
    orderBy: ['id'],
    identity: 'id',
  },
  {
    // The chain's head moves with the events it points at, so the imported log verifies as it did and the
    // next append links to the last imported event.
    name: 'audit_chain_head',
    columns: { singleton: ts, last_id: ts, last_hash: 'text' },
    orderBy: ['singleton'],
  },
];

/**
 * Tables left out on purpose besides the signing keys, in the order of their names: state, not configuration.
 * - client_sightings (issue 26): where applications were seen and when they fetched the JWKS, best-effort evidence
 *   for the next key rotation; the target gathers its own as applications come to it.
 * - deliveries (issue 26): the delivery queue. A webhook delivery or a back-channel logout still pending at the move
 *   is not sent by the target (its event stays in the audit log); the target's webhooks receive the events it makes.
 * - federation_states: federated sign-ins in progress last minutes; one that crosses the move starts again.
 */
export const NOT_TRANSFERRED: readonly string[] = ['client_sightings', 'deliveries', 'federation_states'];

export type TransferValue = string | number | boolean | null;
export type TransferRow = Record<string, TransferValue>;

export function transferTable(name: string): TransferTable | undefined {
  return TRANSFER_TABLES.find((table) => table.name === name);
}

/** Whether `column` of `table` holds bytes, carried as base64 text (TransferTable.binary). */
export function isBinary(table: TransferTable, column: string): boolean {
  return table.binary?.includes(column) ?? false;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes a binary column's portable value stands for. Only padded base64 as an export writes it is read: Node's
 * decoder skips what it does not know, so an altered value would otherwise load as other bytes without a word.
 */
export function bytesOf(table: TransferTable, column: string, value: string): Buffer {
  if (!BASE64.test(value)) throw new ValidationError('input', `${table.name}.${column} of the export is not base64`);
  return Buffer.from(value, 'base64');
}

/** Refuses to write into a store that holds anything, naming what it holds. */
/** The query counting a table's rows for the emptiness check: those a new store made by itself (`regenerated`) aside. */
export function countOf(table: TransferTable): string {
  return `SELECT count(*) AS n FROM ${table.name}${table.regenerated ? ` WHERE NOT (${table.regenerated})` : ''}`;
}

/** Deletes, inside the load's transaction, the rows the export's take the place of (`regenerated`). */
export function replacedRows(): string[] {
  return TRANSFER_TABLES.filter((table) => table.regenerated).map((table) => `DELETE FROM ${table.name} WHERE ${table.regenerated}`);
}

export function assertEmpty(counts: ReadonlyMap<string, number>): void {
  const held = [...counts].filter(([, n]) => n > 0).map(([name, n]) => `${n} ${name}`);
  if (held.length > 0) {
    throw new ConflictError(`the target store is not empty (${held.join(', ')}): import only into a new database, before any node serves it`);
  }
}
