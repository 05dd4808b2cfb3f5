// `idp export` and `idp import` on SQLite: one read transaction (WAL gives it a snapshot while servers write)
// and one IMMEDIATE write transaction. The `idp` process is the connection's only user while either runs.
import type { TransferBatch, TransferReader, TransferRepository } from '../store.js';
import { assertEmpty, bytesOf, countOf, isBinary, replacedRows, TRANSFER_TABLES, type TransferRow, type TransferTable } from '../transfer/tables.js';
import { appliedSqliteMigrations, type SqliteDatabase } from './database.js';

type SqliteValue = string | number | bigint | Buffer | null;

/** SQLite keeps booleans as 0 and 1; the portable form is true and false. Bytes (a BLOB) travel as base64. */
function toPortable(table: TransferTable, row: Record<string, SqliteValue>): TransferRow {
  const out: TransferRow = {};
  for (const [column, kind] of Object.entries(table.columns)) {
    const value = row[column] ?? null;
    if (value === null) out[column] = null;
    else if (Buffer.isBuffer(value)) out[column] = value.toString('base64');
    else out[column] = kind === 'bool' ? value === 1 : kind === 'int' ? Number(value) : String(value);
  }
  return out;
}

function toSqlite(table: TransferTable, row: TransferRow): SqliteValue[] {
  return Object.keys(table.columns).map((column) => {
    const value = row[column] ?? null;
    if (typeof value === 'string' && isBinary(table, column)) return bytesOf(table, column, value);
    return typeof value === 'boolean' ? (value ? 1 : 0) : value;
  });
}

export class SqliteTransferRepository implements TransferRepository {
  constructor(private readonly db: SqliteDatabase) {}

  async snapshot<T>(read: (reader: TransferReader) => Promise<T>): Promise<T> {
    const { db } = this;
    const reader: TransferReader = {
      count: async (table) => (db.prepare(`SELECT count(*) AS n FROM ${table.name}`).get() as { n: number }).n,
      async *rows(table, batchSize) {
        const select = db.prepare(`SELECT ${Object.keys(table.columns).join(', ')} FROM ${table.name} ORDER BY ${table.orderBy.join(', ')}`);
        let batch: TransferRow[] = [];
        for (const row of select.iterate() as IterableIterator<Record<string, SqliteValue>>) {
          batch.push(toPortable(table, row));
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length > 0) yield batch;
      },
    };
    db.exec('BEGIN');
    try {
      return await read(reader);
    } finally {
      db.exec('ROLLBACK');
    }
  }

  async load(batches: AsyncIterable<TransferBatch>): Promise<void> {
    const { db } = this;
    db.exec('BEGIN IMMEDIATE');
    try {
      assertEmpty(new Map(TRANSFER_TABLES.map((table) => [table.name, (db.prepare(countOf(table)).get() as { n: number }).n])));
      for (const statement of replacedRows()) db.prepare(statement).run();
      const inserts = new Map(
        TRANSFER_TABLES.map((table) => {
          const columns = Object.keys(table.columns);
          return [table.name, db.prepare(`INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)];
        }),
      );
      for await (const { table, rows } of batches) {
        const insert = inserts.get(table.name);
        if (!insert) throw new Error(`no table ${table.name}`);
        for (const row of rows) insert.run(...toSqlite(table, row));
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  async schemaVersion(): Promise<number> {
    return appliedSqliteMigrations(this.db).at(-1) ?? 0;
  }
}
