// `idp export` and `idp import` on PostgreSQL: a REPEATABLE READ snapshot read through cursors, and one write
// transaction that locks the tables it fills, so that a node writing meanwhile cannot slip in between the
// emptiness check and the rows.
import type pg from 'pg';
import type { TransferBatch, TransferReader, TransferRepository } from '../store.js';
import { assertEmpty, bytesOf, countOf, isBinary, replacedRows, TRANSFER_TABLES, type TransferRow, type TransferTable, type TransferValue } from '../transfer/tables.js';
import { appliedPostgresMigrations, inTransaction, type PostgresPool } from './database.js';

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const INSERT_ROWS = 500;

function toPortable(table: TransferTable, row: Record<string, unknown>): TransferRow {
  const out: TransferRow = {};
  for (const [column, kind] of Object.entries(table.columns)) {
    const value = row[column] ?? null;
    out[column] = value === null ? null : kind === 'bool' ? Boolean(value) : kind === 'int' ? Number(value) : textOf(table, column, value);
  }
  return out;
}

/**
 * A text column's value: every one is TEXT in the schema (JSON too, kept as written), so pg reads a string; but the
 * binary ones (TransferTable.binary), BYTEA, which pg reads as a Buffer and which travel as base64.
 */
function textOf(table: TransferTable, column: string, value: unknown): string {
  if (isBinary(table, column) && Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'string') return value;
  throw new Error(`${table.name}.${column} was read as ${typeof value}, not text: the transfer table list and the schema disagree`);
}

/** A portable value as the column takes it: a binary column's base64 as its bytes, anything else as it is. */
function toPostgres(table: TransferTable, column: string, value: TransferValue): TransferValue | Buffer {
  return typeof value === 'string' && isBinary(table, column) ? bytesOf(table, column, value) : value;
}

async function insertRows(client: pg.PoolClient, table: TransferTable, rows: TransferRow[]): Promise<void> {
  const columns = Object.keys(table.columns);
  for (let start = 0; start < rows.length; start += INSERT_ROWS) {
    const slice = rows.slice(start, start + INSERT_ROWS);
    const values: unknown[] = [];
    const tuples = slice.map((row) => `(${columns.map((column) => `$${values.push(toPostgres(table, column, row[column] ?? null))}`).join(', ')})`);
    // The audit log's id is GENERATED ALWAYS: the exported ids are kept, so its order and references survive.
    const overriding = table.identity ? ' OVERRIDING SYSTEM VALUE' : '';
    await client.query(`INSERT INTO ${table.name} (${columns.join(', ')})${overriding} VALUES ${tuples.join(', ')}`, values);
  }
}

export class PostgresTransferRepository implements TransferRepository {
  constructor(private readonly pool: PostgresPool) {}

  async snapshot<T>(read: (reader: TransferReader) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const reader: TransferReader = {
        count: async (table) => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.name}`)).rows[0]?.n ?? 0),
        async *rows(table, batchSize) {
          await client.query(`DECLARE transfer_rows NO SCROLL CURSOR FOR SELECT ${Object.keys(table.columns).join(', ')} FROM ${table.name} ORDER BY ${table.orderBy.join(', ')}`);
          try {
            for (;;) {
              const { rows } = await client.query(`FETCH FORWARD ${batchSize} FROM transfer_rows`);
              if (rows.length === 0) break;
              yield rows.map((row: Record<string, unknown>) => toPortable(table, row));
            }
          } finally {
            await client.query('CLOSE transfer_rows');
          }
        },
      };
      return read(reader);
    });
  }

  async load(batches: AsyncIterable<TransferBatch>): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const names = TRANSFER_TABLES.map((table) => table.name);
      await client.query(`LOCK TABLE ${names.join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
      const counts = new Map<string, number>();
      for (const table of TRANSFER_TABLES) counts.set(table.name, Number((await client.query<{ n: string }>(countOf(table))).rows[0]?.n ?? 0));
      assertEmpty(counts);
      for (const statement of replacedRows()) await client.query(statement);
      for await (const { table, rows } of batches) await insertRows(client, table, rows);
      for (const table of TRANSFER_TABLES) {
        if (!table.identity) continue;
        // The next event the database numbers comes after the imported ones.
        await client.query(`SELECT setval(pg_get_serial_sequence('${table.name}', '${table.identity}'), COALESCE((SELECT max(${table.identity}) FROM ${table.name}), 0) + 1, false)`);
      }
    });
  }

  async schemaVersion(): Promise<number> {
    return (await appliedPostgresMigrations(this.pool)).at(-1) ?? 0;
  }
}
