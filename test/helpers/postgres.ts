// PostgreSQL for tests: TEST_DATABASE_URL names a database the tests may create schemas in; every store or app
// gets a schema of its own, dropped with everything in it afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL database the tests may use, or undefined (then only SQLite runs, which CI refuses). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/** A fixed key-encryption key, for tests only. */
export const TEST_KEY_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

async function onAdminConnection(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestSchema {
  schema: string;
  /** TEST_DATABASE_URL with this schema first on the search path, as DATABASE_URL for an app or the `idp` tool. */
  url: string;
  drop(): Promise<void>;
}

export async function freshPostgresSchema(url: string): Promise<TestSchema> {
  const schema = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  await onAdminConnection(url, `CREATE SCHEMA ${schema}`);
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return { schema, url: withSchema.toString(), drop: () => onAdminConnection(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}
