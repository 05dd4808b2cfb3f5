// Reads rows straight from an app's database, whichever engine it runs on, so that a test can see what a
// refused request wrote (or did not) beyond what the Store interface shows. SQL uses `?` placeholders.
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { RunningApp } from './start-app.js';

export async function queryRows<T>(app: RunningApp, sql: string, params: unknown[] = []): Promise<T[]> {
  const { database } = app.config;
  if (database.engine === 'sqlite') {
    const db = new Database(path.join(app.config.dataDir, 'idp.sqlite'), { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }
  let index = 0;
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (
      await client.query(
        sql.replace(/\?/g, () => `$${++index}`),
        params,
      )
    ).rows as T[];
  } finally {
    await client.end();
  }
}

/** A count(*) of one query, as a number on both engines (PostgreSQL answers bigint as a string). */
export async function countRows(app: RunningApp, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(app, sql, params);
  return Number(row?.n ?? 0);
}
