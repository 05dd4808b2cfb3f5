// A database as issue 21 left it (schema 0012), for the tests of migration 0013 on both engines
// (test/store/migrations.test.ts, test/store/postgres-migrations.test.ts, test/upgrade/): public and confidential
// clients with group rules, a session that served two of them, and pending requests, codes, refresh and access
// tokens referencing each. The statements are plain SQL both engines take (TRUE/FALSE for booleans).
import { expect } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';

export const BEFORE_0013 = 12;

/** The tables holding rows here, each with what identifies a row (its sort order). */
export const TABLES_AT_0012: Record<string, string> = {
  users: 'id',
  groups: 'id',
  group_members: 'group_id, user_id',
  clients: 'client_id',
  client_groups: 'client_id, role, group_id',
  sessions: 'id_hash',
  session_clients: 'sid, client_id',
  authorization_requests: 'id_hash',
  authorization_codes: 'code_hash',
  refresh_tokens: 'token_hash',
  access_tokens: 'jti',
};

/** The confidential client's secret and a live refresh token of it, for a test that uses them after the upgrade. */
export const RP_SECRET = 'the relying party secret from before issue 22';
export const RP_REFRESH_TOKEN = 'a refresh token issued before issue 22';

/** Tables with rows naming the client `rp` (all go when `rp` is deleted). */
const RP_TABLES = ['client_groups', 'session_clients', 'authorization_requests', 'authorization_codes', 'refresh_tokens', 'access_tokens'];

/** The statements writing the rows; times are relative to `now` so that the tokens are live for a running server. */
export function rowsAt0012(now: number): string[] {
  const later = now + 3_600_000;
  const client = (id: string, name: string, type: string, secretHash: string | null, method: string, extra: string) =>
    'INSERT INTO clients (client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, ' +
    'grant_types, scopes, pkce_required, created_at, updated_at, require_mfa, refresh_reuse_grace, access_policy, groups_claim, initiate_login_uri, logo_uri, access_contact) ' +
    `VALUES ('${id}', '${name}', '${type}', ${secretHash === null ? 'NULL' : `'${secretHash}'`}, '${method}', '["https://${id}.example/cb"]', '[]', NULL, ` +
    `'["authorization_code","refresh_token"]', '["openid","email","offline_access"]', ${extra})`;
  return [
    `INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, is_admin, disabled, email_verified, created_at, updated_at) VALUES ('u1', 'ada@example.com', 'ada@example.com', 'Ada', 'ada', 'h1', TRUE, FALSE, TRUE, ${now}, ${now})`,
    `INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, is_admin, disabled, email_verified, created_at, updated_at) VALUES ('u2', 'bob@example.com', 'bob@example.com', NULL, NULL, 'h2', FALSE, FALSE, FALSE, ${now}, ${now})`,
    `INSERT INTO groups (id, name, name_key, description, require_mfa, created_at, updated_at) VALUES ('g1', 'Staff', 'staff', 'On staff', FALSE, ${now}, ${now})`,
    `INSERT INTO group_members (group_id, user_id, added_at) VALUES ('g1', 'u1', ${now})`,
    client(
      'rp',
      'Relying party',
      'confidential',
      hashSecret(RP_SECRET),
      'client_secret_basic',
      `TRUE, ${now}, ${now}, FALSE, 30, 'groups', 'prefix:app-', 'https://rp.example/login', NULL, 'Ask IT'`,
    ),
    client('svc', 'Service', 'confidential', 'svc-secret-hash', 'client_secret_post', `FALSE, ${now}, ${now}, FALSE, NULL, 'everyone', 'all', NULL, NULL, NULL`),
    client('spa', 'Single page', 'public', null, 'none', `TRUE, ${now}, ${now}, FALSE, NULL, 'everyone', 'listed', NULL, 'https://spa.example/logo.png', NULL`),
    "INSERT INTO client_groups (client_id, group_id, role) VALUES ('rp', 'g1', 'access')",
    "INSERT INTO client_groups (client_id, group_id, role) VALUES ('rp', 'g1', 'claim')",
    "INSERT INTO client_groups (client_id, group_id, role) VALUES ('spa', 'g1', 'claim')",
    `INSERT INTO sessions (id_hash, sid, user_id, amr, auth_time, created_at, last_seen_at, expires_at, reauthenticated_at) VALUES ('s1', 'sid-1', 'u1', '["pwd"]', ${now}, ${now}, ${now}, ${later}, NULL)`,
    `INSERT INTO session_clients (sid, client_id, first_issued_at) VALUES ('sid-1', 'rp', ${now})`,
    `INSERT INTO session_clients (sid, client_id, first_issued_at) VALUES ('sid-1', 'spa', ${now + 1})`,
    `INSERT INTO authorization_requests (id_hash, browser_hash, client_id, params, created_at, expires_at, consumed_at) VALUES ('r-rp', 'b1', 'rp', '{"scope":"openid"}', ${now}, ${later}, NULL)`,
    `INSERT INTO authorization_requests (id_hash, browser_hash, client_id, params, created_at, expires_at, consumed_at) VALUES ('r-spa', 'b1', 'spa', '{}', ${now}, ${later}, NULL)`,
    'INSERT INTO authorization_codes (code_hash, grant_id, client_id, user_id, session_id_hash, redirect_uri, scope, nonce, code_challenge, code_challenge_method, auth_time, created_at, expires_at, consumed_at, sid, amr, replayed_at) ' +
      `VALUES ('c-rp', 'grant-rp', 'rp', 'u1', 's1', 'https://rp.example/cb', 'openid', 'n', NULL, NULL, ${now}, ${now}, ${later}, NULL, 'sid-1', '["pwd"]', NULL)`,
    'INSERT INTO authorization_codes (code_hash, grant_id, client_id, user_id, session_id_hash, redirect_uri, scope, nonce, code_challenge, code_challenge_method, auth_time, created_at, expires_at, consumed_at, sid, amr, replayed_at) ' +
      `VALUES ('c-spa', 'grant-spa', 'spa', 'u2', NULL, 'https://spa.example/cb', 'openid email', NULL, 'challenge', 'S256', ${now}, ${now}, ${later}, ${now}, NULL, '[]', ${now + 1})`,
    'INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, session_id_hash, scope, auth_time, created_at, expires_at, rotated_at, revoked_at, sid, amr, grant_expires_at, kid) ' +
      `VALUES ('${hashSecret(RP_REFRESH_TOKEN)}', 'grant-rp', 'rp', 'u1', 's1', 'openid offline_access', ${now}, ${now}, ${later}, NULL, NULL, 'sid-1', '["pwd"]', ${later}, NULL)`,
    'INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, session_id_hash, scope, auth_time, created_at, expires_at, rotated_at, revoked_at, sid, amr, grant_expires_at, kid) ' +
      `VALUES ('t-spa', 'grant-spa', 'spa', 'u2', NULL, 'openid', ${now}, ${now}, ${later}, ${now}, NULL, NULL, '[]', ${later}, 'k-old')`,
    `INSERT INTO access_tokens (jti, grant_id, client_id, user_id, session_id_hash, created_at, expires_at, revoked_at, kid) VALUES ('a-rp-1', 'grant-rp', 'rp', 'u1', 's1', ${now}, ${later}, NULL, 'k-old')`,
    `INSERT INTO access_tokens (jti, grant_id, client_id, user_id, session_id_hash, created_at, expires_at, revoked_at, kid) VALUES ('a-rp-2', 'grant-rp', 'rp', 'u1', NULL, ${now}, ${later}, ${now}, NULL)`,
    `INSERT INTO access_tokens (jti, grant_id, client_id, user_id, session_id_hash, created_at, expires_at, revoked_at, kid) VALUES ('a-spa', 'grant-spa', 'spa', 'u2', NULL, ${now}, ${later}, NULL, 'k-old')`,
  ];
}

/** Statements 0013's CHECKs refuse: private_key_jwt without keys, with both key sources, or with a secret. */
export const REFUSED_BY_0013: Record<string, string> = {
  'private_key_jwt without jwks or jwks_uri': keyClient('no-keys', 'NULL', 'NULL', 'NULL'),
  'both jwks and jwks_uri': keyClient('both', 'NULL', `'{"keys":[]}'`, `'https://both.example/jwks'`),
  'private_key_jwt with a secret hash': keyClient('secret', `'a-secret-hash'`, `'{"keys":[]}'`, 'NULL'),
  'a secret client with both key sources': plainClient('secret-both', `'{"keys":[]}'`, `'https://both.example/jwks'`),
};

/** Statements 0013 accepts: a private_key_jwt client with either key source, a secret client, a machine's token. */
export const ACCEPTED_BY_0013: string[] = [
  keyClient('inline', 'NULL', `'{"keys":[]}'`, 'NULL'),
  keyClient('by-uri', 'NULL', 'NULL', `'https://by-uri.example/jwks'`),
  plainClient('plain', 'NULL', 'NULL'),
  "INSERT INTO access_tokens (jti, grant_id, client_id, user_id, session_id_hash, created_at, expires_at, revoked_at, kid, format, audience, scope, auth_time) VALUES ('m2m', 'g', 'inline', NULL, NULL, 1, 2, NULL, NULL, 'opaque', 'https://api.example', 'read', NULL)",
];

function keyClient(id: string, secretHash: string, jwks: string, jwksUri: string): string {
  return (
    'INSERT INTO clients (client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris, grant_types, scopes, created_at, updated_at, jwks, jwks_uri) ' +
    `VALUES ('${id}', 'Key client', 'confidential', ${secretHash}, 'private_key_jwt', '[]', '[]', '["client_credentials"]', '[]', 1, 1, ${jwks}, ${jwksUri})`
  );
}

function plainClient(id: string, jwks: string, jwksUri: string): string {
  return (
    'INSERT INTO clients (client_id, name, client_type, secret_hash, token_endpoint_auth_method, redirect_uris, post_logout_redirect_uris, grant_types, scopes, created_at, updated_at, jwks, jwks_uri) ' +
    `VALUES ('${id}', 'Secret client', 'confidential', 'h', 'client_secret_basic', '[]', '[]', '["client_credentials"]', '[]', 1, 1, ${jwks}, ${jwksUri})`
  );
}

/** The little of a database connection the checks below need, on either engine. */
export interface RawDatabase {
  rows(sql: string): Promise<Record<string, unknown>[]>;
  run(sql: string): Promise<void>;
}

export type Snapshot = Record<string, Record<string, unknown>[]>;

/** Every row of every table above, in a fixed order. */
export async function snapshot(db: RawDatabase): Promise<Snapshot> {
  const tables: Snapshot = {};
  for (const [table, order] of Object.entries(TABLES_AT_0012)) tables[table] = await db.rows(`SELECT * FROM ${table} ORDER BY ${order}`);
  return tables;
}

async function count(db: RawDatabase, sql: string): Promise<number> {
  const [row] = await db.rows(sql);
  return Number(Object.values(row ?? {})[0] ?? 0);
}

/** After 0013: every row of `before` is there with the values it had, the new columns beside them at their defaults. */
export async function expectRowsKept(db: RawDatabase, before: Snapshot): Promise<void> {
  const after = await snapshot(db);
  for (const [table, rows] of Object.entries(before)) {
    expect(rows.length, table).toBeGreaterThan(0);
    const columns = Object.keys(rows[0] ?? {});
    expect(
      after[table]?.map((row) => Object.fromEntries(columns.map((column) => [column, row[column]]))),
      table,
    ).toEqual(rows);
  }
  expect(after.clients?.map((row) => [row.client_id, row.jwks, row.jwks_uri])).toEqual([
    ['rp', null, null],
    ['spa', null, null],
    ['svc', null, null],
  ]);
  expect(after.access_tokens?.map((row) => [row.jti, row.format, row.audience, row.scope, row.auth_time])).toEqual([
    ['a-rp-1', 'jwt', null, null, null],
    ['a-rp-2', 'jwt', null, null, null],
    ['a-spa', 'jwt', null, null, null],
  ]);
  expect(after.authorization_codes?.map((row) => row.resources)).toEqual(['[]', '[]']);
  expect(after.refresh_tokens?.map((row) => row.resources)).toEqual(['[]', '[]']);
}

/**
 * After 0013: the CHECKs refuse what they must and accept the rest, and the foreign keys still cascade: deleting
 * the client `rp` takes every row naming it and nothing else, deleting a user takes their tokens.
 */
export async function expectConstraintsHold(db: RawDatabase): Promise<void> {
  for (const [name, sql] of Object.entries(REFUSED_BY_0013)) await expect(db.run(sql), name).rejects.toThrow();
  expect(await count(db, 'SELECT count(*) FROM clients')).toBe(3);
  for (const sql of ACCEPTED_BY_0013) await db.run(sql);

  // The client's rows go with it, in every table that names it, and only its rows.
  const counts = new Map<string, { total: number; rp: number }>();
  for (const table of RP_TABLES) {
    counts.set(table, { total: await count(db, `SELECT count(*) FROM ${table}`), rp: await count(db, `SELECT count(*) FROM ${table} WHERE client_id = 'rp'`) });
    expect(counts.get(table)?.rp, table).toBeGreaterThan(0);
  }
  await db.run("DELETE FROM clients WHERE client_id = 'rp'");
  for (const table of RP_TABLES) {
    const { total = 0, rp = 0 } = counts.get(table) ?? {};
    expect(await count(db, `SELECT count(*) FROM ${table} WHERE client_id = 'rp'`), table).toBe(0);
    expect(await count(db, `SELECT count(*) FROM ${table}`), table).toBe(total - rp);
  }
  // A person's tokens go with the person (the rebuilt access_tokens keeps its reference to users).
  await db.run("DELETE FROM users WHERE id = 'u2'");
  expect((await db.rows('SELECT jti FROM access_tokens ORDER BY jti')).map((row) => row.jti)).toEqual(['m2m']);
  expect(await count(db, "SELECT count(*) FROM refresh_tokens WHERE user_id = 'u2'")).toBe(0);
  expect(await count(db, "SELECT count(*) FROM client_groups WHERE client_id = 'spa'")).toBe(1);
  // And the keyed client's token with the keyed client.
  await db.run("DELETE FROM clients WHERE client_id = 'inline'");
  expect(await count(db, 'SELECT count(*) FROM access_tokens')).toBe(0);
}
