// Every foreign-key column leads an index, on both engines (issue 20): a cascade from the referenced row (deleting
// a user or a client) and the lookups by owner then read only the rows concerned, never a whole table.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { freshPostgresSchema, TEST_DATABASE_URL } from '../helpers/postgres.js';

describe('foreign-key columns are indexed', () => {
  it('on SQLite, every foreign-key column is the first column of an index or of the primary key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-fk-'));
    try {
      const file = path.join(dir, 'idp.sqlite');
      const store = openSqliteStore({ file, synchronous: 'NORMAL' });
      await store.close();
      const db = new Database(file, { readonly: true });
      const unindexed: string[] = [];
      let foreignKeys = 0;
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all();
      for (const { name } of tables) {
        const leading = new Set(
          db
            .prepare<[], { name: string }>(`SELECT name FROM pragma_index_list('${name}')`)
            .all()
            .map((index) => db.prepare<[], { name: string }>(`SELECT name FROM pragma_index_info('${index.name}') ORDER BY seqno LIMIT 1`).get()?.name),
        );
        for (const column of db.prepare<[], { name: string; pk: number }>(`SELECT name, pk FROM pragma_table_info('${name}')`).all()) {
          if (column.pk === 1) leading.add(column.name);
        }
        for (const fk of db.prepare<[], { from: string }>(`SELECT "from" FROM pragma_foreign_key_list('${name}')`).all()) {
          foreignKeys++;
          if (!leading.has(fk.from)) unindexed.push(`${name}.${fk.from}`);
        }
      }
      db.close();
      expect(foreignKeys).toBeGreaterThan(10);
      expect(unindexed).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!TEST_DATABASE_URL)('on PostgreSQL, every foreign-key column is the first column of an index', async () => {
    const schema = await freshPostgresSchema(TEST_DATABASE_URL ?? '');
    const store = await openPostgresStore({ url: TEST_DATABASE_URL ?? '', poolSize: 1, schema: schema.schema });
    await store.close();
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string; column_name: string; indexed: boolean }>(`
        SELECT c.conrelid::regclass::text AS table_name, a.attname AS column_name,
               EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]) AS indexed
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`);
      expect(rows.length).toBeGreaterThan(10);
      expect(rows.filter((row) => !row.indexed).map((row) => `${row.table_name}.${row.column_name}`)).toEqual([]);
    } finally {
      await client.end();
      await schema.drop();
    }
  });
});
