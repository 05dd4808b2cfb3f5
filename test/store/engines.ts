// Shared pieces of the Store contract. The contract speaks only to the Store interface, one file per repository
// (test/store/*.contract.test.ts), and every file runs `describe.each(engines)`: SQLite always, PostgreSQL when
// TEST_DATABASE_URL names a database the tests may create schemas in (each test gets its own, dropped after).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import type {
  NewAccessToken,
  NewApi,
  NewAuthorizationCode,
  NewClient,
  NewFederationState,
  NewIdentityProvider,
  NewRefreshToken,
  NewRegistrationToken,
  NewUser,
  SessionRecord,
  SigningKeyRecord,
} from '../../src/store/records.js';
import { openPostgresPool } from '../../src/store/postgres/database.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { PostgresMemberListTuning } from '../../src/store/postgres/group-members.js';
import type { PostgresSearchTuning } from '../../src/store/postgres/user-search.js';
import { PostgresUserRepository } from '../../src/store/postgres/users.js';
import { openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { SqliteMemberListTuning } from '../../src/store/sqlite/group-members.js';
import type { SqliteSearchTuning } from '../../src/store/sqlite/user-search.js';
import { SqliteUserRepository } from '../../src/store/sqlite/users.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/thread/threaded-store.js';
import { freshPostgresSchema, TEST_DATABASE_URL } from '../helpers/postgres.js';
import type { Store, UserRepository } from '../../src/store/store.js';

/** The users page's search figures for each engine (src/store/rows/users.ts): small ones take every way with a few users. */
export interface SearchTuning {
  sqlite: SqliteSearchTuning;
  postgres: PostgresSearchTuning;
  /** A group's members (src/store/sqlite/group-members.ts); the store's own figures when absent. */
  members?: { sqlite: SqliteMemberListTuning; postgres: PostgresMemberListTuning };
}

export interface OpenedStore {
  store: Store;
  /**
   * The users of the same database, read on a connection of their own through a repository searching with these
   * figures (the writes the store makes are there to read once it has answered); the caller closes it.
   */
  usersSearching(tuning: SearchTuning): { users: UserRepository; close(): Promise<void> };
  /** Another store on the same database (another node, or the `idp` tool beside a server); the caller closes it. */
  second(): Promise<Store>;
  /** Each table's column names, sorted, read from the database itself; bookkeeping tables and indexes' own tables left out. */
  columns(): Promise<Record<string, string[]>>;
  /** Closes the store (again, if a test already did) and removes everything the engine left behind. */
  destroy(): Promise<void>;
}

export interface Engine {
  name: string;
  open(): Promise<OpenedStore>;
}

function sqliteColumns(file: string): Record<string, string[]> {
  const db = new Database(file, { readonly: true });
  try {
    // Ordinary tables only: the search's full-text index (a virtual table and its shadow tables) holds nothing the users
    // do not, and an import fills it again through the triggers.
    const tables = db
      .prepare(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT IN ('schema_migrations', 'signing_keys') ORDER BY name",
      )
      .all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).map((c) => c.name).sort()]));
  } finally {
    db.close();
  }
}

/** SQLite in a temp directory, opened the way `open` does it; the second store is always a direct connection. */
function sqliteEngine(name: string, open: (file: string) => Promise<Store>): Engine {
  return {
    name,
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-'));
      const file = path.join(dir, 'gatehouse.db');
      const store = await open(file);
      return {
        store,
        usersSearching(tuning) {
          const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
          return {
            users: new SqliteUserRepository(db, tuning.sqlite, tuning.members?.sqlite),
            close: async () => {
              db.close();
            },
          };
        },
        second: async () => openSqliteStore({ file, synchronous: 'NORMAL' }),
        columns: async () => sqliteColumns(file),
        async destroy() {
          await store.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

export const engines: Engine[] = [
  // The `idp` tool's store: one connection on the caller's thread.
  sqliteEngine('SQLite', async (file) => openSqliteStore({ file, synchronous: 'NORMAL' })),
  // The server's store: writes on a thread of their own with group commit, reads on the caller's thread.
  sqliteEngine('SQLite on its writer thread', (file) => ThreadedSqliteStore.open({ file, synchronous: 'NORMAL' })),
];

if (TEST_DATABASE_URL) {
  const url = TEST_DATABASE_URL;
  engines.push({
    name: 'PostgreSQL',
    async open() {
      const { schema, drop } = await freshPostgresSchema(url);
      const store = await openPostgresStore({ url, poolSize: 4, schema });
      return {
        store,
        usersSearching(tuning) {
          const pool = openPostgresPool({ url, poolSize: 2, schema });
          return { users: new PostgresUserRepository(pool, tuning.postgres, tuning.members?.postgres), close: () => pool.end() };
        },
        second: () => openPostgresStore({ url, poolSize: 2, schema }),
        async columns() {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            const { rows } = await client.query<{ table_name: string; column_name: string }>(
              `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name NOT IN ('schema_migrations', 'signing_keys') ORDER BY table_name COLLATE "C", column_name COLLATE "C"`,
              [schema],
            );
            const columns: Record<string, string[]> = {};
            for (const row of rows) (columns[row.table_name] ??= []).push(row.column_name);
            return columns;
          } finally {
            await client.end();
          }
        },
        async destroy() {
          await store.close();
          await drop();
        },
      };
    },
  });
}

/**
 * Opens a fresh, empty store of `engine` before each test of the calling describe block, hands it to `use`,
 * and destroys it after the test.
 */
export function freshStorePerTest(engine: Engine, use: (store: Store) => void): void {
  let opened: OpenedStore | undefined;

  beforeEach(async () => {
    opened = await engine.open();
    use(opened.store);
  });

  afterEach(async () => {
    await opened?.destroy();
    opened = undefined;
  });
}

export const T0 = 1_700_000_000_000;
export const MINUTE = 60_000;

export function newUser(id: string, email: string, overrides: Partial<NewUser> = {}): NewUser {
  return {
    id,
    email,
    name: null,
    passwordHash: `$argon2id$v=19$${id}`,
    isAdmin: false,
    disabled: false,
    emailVerified: false,
    hasPassword: true,
    // Issue 25: no language or time zone chosen.
    locale: null,
    timeZone: null,
    ...overrides,
  };
}

/** What a client created without them has for the fields NewClient leaves optional. */
export const CLIENT_DEFAULTS = {
  requireMfa: false,
  refreshReuseGrace: null,
  accessPolicy: 'everyone',
  accessGroups: [],
  groupsClaim: { kind: 'all' },
  claimGroups: [],
  initiateLoginUri: null,
  logoUri: null,
  accessContact: null,
  jwks: null,
  jwksUri: null,
  // Issue 24: the organisation's own application, created by an administrator.
  thirdParty: false,
  origin: 'admin',
  clientUri: null,
  policyUri: null,
  tosUri: null,
  registrationTokenHash: null,
  // Issue 28: neither pushed requests nor DPoP required.
  requirePushedAuthorizationRequests: false,
  dpopBoundAccessTokens: false,
} as const;

export function newClient(clientId: string, name: string, overrides: Partial<NewClient> = {}): NewClient {
  return {
    clientId,
    name,
    clientType: 'confidential',
    secretHash: `secret-hash-${clientId}`,
    tokenEndpointAuthMethod: 'client_secret_basic',
    redirectUris: [`https://${clientId}.example/cb`],
    postLogoutRedirectUris: [],
    backchannelLogoutUri: null,
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'email'],
    pkceRequired: true,
    ...overrides,
  };
}

export function newKey(kid: string, createdAt: number, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    alg: 'RS256',
    publicJwk: JSON.stringify({ kty: 'RSA', kid }),
    privateKeyCiphertext: `ciphertext-${kid}`,
    createdAt,
    activatedAt: createdAt,
    retiredAt: null,
    revokedAt: null,
    ...overrides,
  };
}

export function newSession(idHash: string, userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { idHash, sid: `sid-${idHash}`, userId, amr: ['pwd'], authTime: T0, createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 60 * MINUTE, reauthenticatedAt: null, idp: null, ...overrides };
}

export function newCode(codeHash: string, userId: string, clientId: string, overrides: Partial<NewAuthorizationCode> = {}): NewAuthorizationCode {
  return {
    codeHash,
    grantId: `grant-${codeHash}`,
    clientId,
    userId,
    sessionIdHash: null,
    sid: `sid-${codeHash}`,
    amr: ['pwd'],
    idp: null,
    redirectUri: `https://${clientId}.example/cb`,
    scope: 'openid email',
    nonce: null,
    codeChallenge: null,
    codeChallengeMethod: null,
    authTime: T0,
    resources: [],
    // Issue 28: unbound (RFC 9449 §10).
    dpopJkt: null,
    createdAt: T0,
    expiresAt: T0 + MINUTE,
    ...overrides,
  };
}

export function newToken(tokenHash: string, userId: string, clientId: string, overrides: Partial<NewRefreshToken> = {}): NewRefreshToken {
  return {
    tokenHash,
    grantId: 'grant-1',
    clientId,
    userId,
    sessionIdHash: null,
    sid: null,
    amr: ['pwd', 'mfa'],
    idp: null,
    scope: 'openid offline_access',
    authTime: T0,
    resources: [],
    createdAt: T0,
    grantExpiresAt: T0 + 30 * 24 * 60 * MINUTE,
    kid: null,
    // Issue 28: unbound (a bearer refresh token).
    jkt: null,
    expiresAt: T0 + 30 * 24 * 60 * MINUTE,
    ...overrides,
  };
}

/** An API with one scope, tokens as JWTs for people and machines, the server's lifetime (issue 22). */
export function newApi(id: string, name: string, identifier: string, overrides: Partial<NewApi> = {}): NewApi {
  return { id, name, identifier, scopes: [{ name: 'pay', description: 'Pay for things' }], tokenLifetime: null, tokenFormat: 'jwt', accepts: 'both', ...overrides };
}

/** The Orders API (api-orders) with every setting off its default: two scopes, described as given, 900 s opaque tokens, for people. */
export function newOrdersApi(readDescription: string, writeDescription: string): NewApi {
  return newApi('api-orders', 'Orders', 'https://orders.example/api', {
    scopes: [
      { name: 'orders:read', description: readDescription },
      { name: 'orders:write', description: writeDescription },
    ],
    tokenLifetime: 900,
    tokenFormat: 'opaque',
    accepts: 'people',
  });
}

/** A person's JWT access token for the userinfo endpoint, as every token response records one (issue 22 fields set). */
export function newAccessToken(jti: string, overrides: Partial<NewAccessToken> = {}): NewAccessToken {
  return {
    jti,
    grantId: 'grant-1',
    clientId: 'rp',
    userId: 'u1',
    sessionIdHash: null,
    kid: null,
    format: 'jwt',
    audience: 'https://idp.example/userinfo',
    scope: 'openid email',
    authTime: T0,
    // Issue 28: a bearer token.
    jkt: null,
    createdAt: T0,
    expiresAt: T0 + 10 * MINUTE,
    ...overrides,
  };
}

/** An OpenID Connect upstream (issue 23) with the settings and sealed secret as opaque text, everything else off. */
export function newProvider(slug: string, name: string, overrides: Partial<NewIdentityProvider> = {}): NewIdentityProvider {
  return {
    slug,
    kind: 'oidc',
    name,
    buttonLabel: null,
    iconUrl: null,
    enabled: true,
    settings: JSON.stringify({ issuer: `https://${slug}.example`, clientId: `gatehouse-${slug}`, scopes: ['openid', 'email'] }),
    secret: `sealed-secret-of-${slug}`,
    jit: false,
    allowedDomains: [],
    trustEmail: false,
    trustMfa: false,
    groupsMode: 'ignore',
    ...overrides,
  };
}

/** A federated sign-in in progress: a 'login' state of provider acme, bound to browser b1, for ten minutes. */
export function newFederationState(idHash: string, overrides: Partial<NewFederationState> = {}): NewFederationState {
  return { idHash, kind: 'login', providerSlug: 'acme', browserHash: 'b1', userId: null, value: `sealed-${idHash}`, createdAt: T0, expiresAt: T0 + 10 * MINUTE, ...overrides };
}

/** An initial access token for POST /register (issue 24): one use, ten minutes, created by the tool. */
export function newRegistrationToken(id: string, overrides: Partial<NewRegistrationToken> = {}): NewRegistrationToken {
  return { id, tokenHash: `hash-of-${id}`, usesLeft: 1, createdBy: 'cli', createdAt: T0, expiresAt: T0 + 10 * MINUTE, ...overrides };
}

/** Users u1 and u2 and client rp, for the rows that reference both a user and a client. */
export async function seedUserAndClient(store: Store): Promise<void> {
  await store.users.create(newUser('u1', 'one@example.com'), T0);
  await store.users.create(newUser('u2', 'two@example.com'), T0);
  await store.clients.create(newClient('rp', 'Relying party'), T0);
}
