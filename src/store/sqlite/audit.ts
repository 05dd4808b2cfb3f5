import type Database from 'better-sqlite3';
import { eventHash, GENESIS_HASH } from '../../audit/chain.js';
import { auditFilterConditions, whereClause, type AuditFilterValue } from '../audit-filter.js';
import type { AuditChainHead, AuditEventRecord, AuditFilter, NewAuditEvent } from '../records.js';
import type { AuditRepository } from '../store.js';
import type { SqliteDatabase } from './database.js';
import { chainedFields, COLUMNS, toHead, toRecord, type AuditChainHeadRow, type AuditRow } from '../rows/audit.js';
import { offeredToWebhooks, patternMatches } from '../rows/deliveries.js';

export class SqliteAuditRepository implements AuditRepository {
  private readonly appendTx;
  private readonly headStmt;
  private readonly chainStmt;
  private readonly byIdStmt;
  /** The filtered queries, prepared once per combination of filters (a few dozen at most). */
  private readonly filtered = new Map<string, Database.Statement>();

  /** `chainKey`: AUDIT_CHAIN_KEY, under which new events are chained (src/audit/chain.ts); null for SHA-256. */
  constructor(
    private readonly db: SqliteDatabase,
    chainKey: Buffer | null = null,
  ) {
    this.headStmt = db.prepare<[], AuditChainHeadRow>('SELECT last_id, last_hash FROM audit_chain_head WHERE singleton = 1');
    this.chainStmt = db.prepare<[number, number], AuditRow>(`SELECT ${COLUMNS} FROM audit_events WHERE id > ? ORDER BY id LIMIT ?`);
    this.byIdStmt = db.prepare<[number], AuditRow>(`SELECT ${COLUMNS} FROM audit_events WHERE id = ?`);
    // Issue 26: one delivery per enabled webhook endpoint whose event types match, written with the event itself,
    // so an event is never recorded without its deliveries (nor the reverse), whichever node or process appends it.
    const fanOutStmt = db.prepare<[{ event: number; type: string; at: number }]>(
      'INSERT INTO deliveries (id, kind, webhook_id, event_id, event_type, state, attempts, next_attempt_at, created_at, updated_at) ' +
        "SELECT 'msg_' || lower(hex(randomblob(16))), 'webhook', w.id, @event, @type, 'pending', 0, @at, @at, @at FROM webhooks w " +
        `WHERE w.enabled = 1 AND EXISTS (SELECT 1 FROM webhook_event_types p WHERE p.webhook_id = w.id AND ${patternMatches('@type')})`,
    );
    const insertStmt = db.prepare<[number, string, string, string | null, string | null, string | null, string, string, string, string], AuditRow>(
      `INSERT INTO audit_events (at, type, actor, subject, client_id, ip, outcome, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
    );
    const moveHeadStmt = db.prepare(
      'INSERT INTO audit_chain_head (singleton, last_id, last_hash) VALUES (1, ?, ?) ON CONFLICT (singleton) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash',
    );
    // Reading the head, inserting the event and moving the head must see no other append in between, or two
    // events would link to the same predecessor (a fork). Run as `.immediate`: the `idp` tool's direct
    // connection then takes SQLite's one write lock (BEGIN IMMEDIATE) before it reads the head, so an append
    // from the server's thread on the same file waits for it, and the reverse. On the writer thread the call
    // already runs inside the batch's BEGIN IMMEDIATE (group-commit.ts), and better-sqlite3 turns any nested
    // transaction function, `.immediate` included, into a savepoint: the lock is held from the batch's start.
    this.appendTx = db.transaction((event: NewAuditEvent): AuditRow => {
      const head = this.headStmt.get();
      const fields = chainedFields(event);
      const prevHash = head?.last_hash ?? GENESIS_HASH;
      const hash = eventHash(prevHash, fields, chainKey);
      const row = insertStmt.get(fields.at, fields.type, fields.actor, fields.subject, fields.clientId, fields.ip, fields.outcome, fields.detailsJson, prevHash, hash);
      if (!row) throw new Error('INSERT … RETURNING returned no row');
      moveHeadStmt.run(row.id, hash);
      if (offeredToWebhooks(event)) fanOutStmt.run({ event: row.id, type: row.type, at: row.at });
      return row;
    });
  }

  async append(event: NewAuditEvent): Promise<AuditEventRecord> {
    return toRecord(this.appendTx.immediate(event));
  }

  async list({ before, limit, filter }: { before?: number | null; limit: number; filter?: AuditFilter }): Promise<AuditEventRecord[]> {
    const values: AuditFilterValue[] = [];
    const bind = (value: AuditFilterValue) => {
      values.push(value);
      return '?';
    };
    const conditions = auditFilterConditions(filter, { bind, typeColumn: 'type' });
    if (before != null) conditions.push(`id < ${bind(before)}`);
    const rows = this.statement<AuditRow>(`SELECT ${COLUMNS} FROM audit_events${whereClause(conditions)} ORDER BY id DESC LIMIT ?`).all(...values, limit);
    return rows.map(toRecord);
  }

  async count(filter: AuditFilter): Promise<number> {
    const values: AuditFilterValue[] = [];
    const conditions = auditFilterConditions(filter, { bind: (value) => (values.push(value), '?'), typeColumn: 'type' });
    return this.statement<{ n: number }>(`SELECT count(*) AS n FROM audit_events${whereClause(conditions)}`).get(...values)?.n ?? 0;
  }

  async chain(afterId: number, limit: number): Promise<AuditEventRecord[]> {
    return this.chainStmt.all(afterId, limit).map(toRecord);
  }

  async head(): Promise<AuditChainHead | null> {
    const row = this.headStmt.get();
    return row ? toHead(row) : null;
  }

  private statement<R>(sql: string): Database.Statement<unknown[], R> {
    let prepared = this.filtered.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.filtered.set(sql, prepared);
    }
    // Each SQL text is always read as the same row type: the one its caller gave it.
    return prepared as Database.Statement<unknown[], R>;
  }

  async findById(id: number): Promise<AuditEventRecord | null> {
    const row = this.byIdStmt.get(id);
    return row ? toRecord(row) : null;
  }
}
