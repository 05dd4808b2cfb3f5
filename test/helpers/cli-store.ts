// The store an `idp` tool test works on, on the engine under test: SQLite in a temp directory, or, when
// GATEHOUSE_TEST_ENGINE=postgres (the vitest project `postgres`), a fresh schema of TEST_DATABASE_URL. The same
// test code thus proves every command on both engines; only this file knows how each engine keeps its data.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { systemClock } from '../../src/clock.js';
import { ensureManagementApi } from '../../src/manage/management-api.js';
import { openStore } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { runIdp } from './processes.js';
import { freshPostgresSchema, TEST_DATABASE_URL, TEST_KEY_ENCRYPTION_KEY } from './postgres.js';
import { queryRows } from './rows.js';
import type { RunningApp } from './start-app.js';
import { tempDir } from './temp-dir.js';

export type TestEngine = 'sqlite' | 'postgres';

/** The engine this run proves (the vitest project `postgres` sets GATEHOUSE_TEST_ENGINE). */
export const testEngine: TestEngine = process.env.GATEHOUSE_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

/** The fields of a client in the --json answer of `idp client` that the client tests all read; each adds its own. */
export interface ClientJsonBase {
  client_id: string;
  client_secret?: string;
  client_type: string;
  token_endpoint_auth_method: string;
  redirect_uris: string[];
}

export interface ToolStore {
  /** The environment under which the `idp` tool (or a server) works on this store. */
  env: Record<string, string>;
  /** That environment, read as the tool reads it. */
  config: Config;
  /** Opens the store the tool writes, as the running server would, for `use`, and closes it afterwards. */
  withStore<T>(use: (store: Store) => Promise<T>): Promise<T>;
  /**
   * Everything kept for this store, as text: every file in its directories (the SQLite file, its journal, key
   * files) and, on PostgreSQL, every row of every table. A secret must not be found in it in clear.
   */
  contentsAsText(): Promise<string>;
  /** Removes the directories and, on PostgreSQL, the schema with everything in it. */
  drop(): Promise<void>;
}

function filesAsText(dir: string): string {
  // latin1 keeps one character per byte, so an ASCII secret is found wherever its bytes are, even in binary pages.
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1'))
    .join('\n');
}

async function rowsAsText(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename');
    if (tables.rows.length === 0) throw new Error('the PostgreSQL schema has no tables: the tool wrote elsewhere');
    const text: string[] = [];
    for (const { tablename } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM ${client.escapeIdentifier(tablename)} t`);
      text.push(...rows.rows.map(({ row }) => row));
    }
    return text.join('\n');
  } finally {
    await client.end();
  }
}

/**
 * A store of its own for `idp` processes, not yet opened (so not yet migrated). DATA_DIR and KEYS_DIR are a
 * temp directory on both engines, so that nothing ever falls back on the package's ./data and ./keys.
 */
export async function toolStore(engine: TestEngine = testEngine): Promise<ToolStore> {
  const { dir, remove } = tempDir();
  const env: Record<string, string> = { DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys') };
  let dropSchema = async (): Promise<void> => undefined;
  if (engine === 'postgres') {
    if (!TEST_DATABASE_URL) throw new Error('GATEHOUSE_TEST_ENGINE=postgres needs TEST_DATABASE_URL');
    const schema = await freshPostgresSchema(TEST_DATABASE_URL);
    env.DATABASE_URL = schema.url;
    env.KEY_ENCRYPTION_KEY = TEST_KEY_ENCRYPTION_KEY;
    dropSchema = schema.drop;
  }
  const config = loadConfig(env, dir);
  if (config.database.engine !== engine) throw new Error(`the tool's store is ${config.database.engine}, not ${engine}`);
  return {
    env,
    config,
    async withStore(use) {
      const store = await openStore(config);
      try {
        // As every `idp` command and server start does (issue 26), so that a test's reading before a command and after
        // it differ only by what the command did.
        await ensureManagementApi(store, config, systemClock);
        return await use(store);
      } finally {
        await store.close();
      }
    },
    async contentsAsText() {
      const files = filesAsText(dir);
      return config.database.engine === 'postgres' ? `${files}\n${await rowsAsText(config.database.url)}` : files;
    },
    async drop() {
      try {
        await dropSchema();
      } finally {
        remove();
      }
    },
  };
}

/**
 * The signing keys of a running app exactly as its engine keeps them at rest: the files of KEYS_DIR and their
 * contents with SQLite, the rows of `signing_keys` with PostgreSQL. Equal before and after means nothing was written.
 */
export async function signingKeysAtRest(app: RunningApp): Promise<unknown[]> {
  if (app.config.database.engine === 'postgres') return queryRows(app, 'SELECT * FROM signing_keys ORDER BY kid');
  const dir = app.config.keysDir;
  return readdirSync(dir)
    .sort()
    .map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]);
}

/** Runs an `idp` command that must succeed (no stderr, exit 0) and reads its --json answer. */
export async function runIdpJson<T>(args: string[], env: Record<string, string>): Promise<T> {
  const result = await runIdp(args, env);
  expect(result.stderr, args.join(' ')).toBe('');
  expect(result.code, args.join(' ')).toBe(0);
  return JSON.parse(result.stdout) as T;
}
