import { eventHash, GENESIS_HASH } from '../../audit/chain.js';
import { auditFilterConditions, whereClause, type AuditFilterValue } from '../audit-filter.js';
import type { AuditChainHead, AuditEventRecord, AuditFilter, NewAuditEvent } from '../records.js';
import type { AuditRepository } from '../store.js';
import { inTransaction, query, statement, type PostgresPool } from './database.js';
import { chainedFields, COLUMNS, toHead, toRecord, type AuditChainHeadRow, type AuditRow } from '../rows/audit.js';
import { offeredToWebhooks, patternMatches } from '../rows/deliveries.js';

/**
 * Reads the head and locks it until the append commits, creating it on the first append: a row that does not
 * exist yet cannot be locked with FOR UPDATE, but two first appends conflict on inserting it, and the second
 * waits for the first to commit, then takes the lock and reads the head the first one left. Before the first
 * event the head reads as last_id 0 and GENESIS_HASH; nobody else ever sees that, the append moves it.
 */
const LOCK_HEAD = statement(
  'audit.lockHead',
  'INSERT INTO audit_chain_head (singleton, last_id, last_hash) VALUES (1, 0, $1) ' + 'ON CONFLICT (singleton) DO UPDATE SET singleton = audit_chain_head.singleton RETURNING last_id, last_hash',
);
// The event and the head's move in one statement: one round trip fewer while the head is locked.
const INSERT_EVENT =
  'WITH event AS (INSERT INTO audit_events (at, type, actor, subject, client_id, ip, outcome, details, prev_hash, hash) ' +
  `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}), ` +
  'moved AS (UPDATE audit_chain_head SET last_id = (SELECT id FROM event), last_hash = $10 WHERE singleton = 1)';
const INSERT_AND_MOVE_HEAD = statement('audit.insertAndMoveHead', `${INSERT_EVENT} SELECT * FROM event`);
// Issue 26: and one delivery per enabled webhook endpoint whose event types match, in the same statement, so an
// event is never recorded without its deliveries (nor the reverse), on whichever node appends it. The foreign key
// to the event is checked at the statement's end, when the event's row is there.
const INSERT_MOVE_HEAD_AND_FAN_OUT = statement(
  'audit.insertMoveHeadAndFanOut',
  `${INSERT_EVENT}, fanned AS (INSERT INTO deliveries (id, kind, webhook_id, event_id, event_type, state, attempts, next_attempt_at, created_at, updated_at) ` +
    "SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), 'webhook', w.id, (SELECT id FROM event), $2, 'pending', 0, $1, $1, $1 FROM webhooks w " +
    `WHERE w.enabled AND EXISTS (SELECT 1 FROM webhook_event_types p WHERE p.webhook_id = w.id AND ${patternMatches('$2::text')})) ` +
    'SELECT * FROM event',
);
const BY_ID = statement('audit.byId', `SELECT ${COLUMNS} FROM audit_events WHERE id = $1`);
const CHAIN = statement('audit.chain', `SELECT ${COLUMNS} FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2`);
const HEAD = statement('audit.head', 'SELECT last_id, last_hash FROM audit_chain_head WHERE singleton = 1');

/** The type column as its index (COLLATE "C") compares it; see audit-filter.ts. */
const TYPE_COLUMN = 'type COLLATE "C"';

/** A bound-parameter builder for auditFilterConditions: PostgreSQL numbers its placeholders. */
function binder(values: AuditFilterValue[]): (value: AuditFilterValue) => string {
  return (value) => `$${values.push(value)}`;
}

export class PostgresAuditRepository implements AuditRepository {
  /** `chainKey`: AUDIT_CHAIN_KEY, under which new events are chained (src/audit/chain.ts); null for SHA-256. */
  constructor(
    private readonly pool: PostgresPool,
    private readonly chainKey: Buffer | null = null,
  ) {}

  async append(event: NewAuditEvent): Promise<AuditEventRecord> {
    const fields = chainedFields(event);
    const row = await inTransaction(this.pool, async (client) => {
      const head = (await client.query<AuditChainHeadRow>({ name: LOCK_HEAD.name, text: LOCK_HEAD.text, values: [GENESIS_HASH] })).rows[0];
      const prevHash = head?.last_hash ?? GENESIS_HASH;
      const hash = eventHash(prevHash, fields, this.chainKey);
      const insert = offeredToWebhooks(event) ? INSERT_MOVE_HEAD_AND_FAN_OUT : INSERT_AND_MOVE_HEAD;
      const { rows } = await client.query<AuditRow>({
        name: insert.name,
        text: insert.text,
        values: [fields.at, fields.type, fields.actor, fields.subject, fields.clientId, fields.ip, fields.outcome, fields.detailsJson, prevHash, hash],
      });
      return rows[0];
    });
    if (!row) throw new Error('INSERT … RETURNING returned no row');
    return toRecord(row);
  }

  async list({ before, limit, filter }: { before?: number | null; limit: number; filter?: AuditFilter }): Promise<AuditEventRecord[]> {
    const values: AuditFilterValue[] = [];
    const bind = binder(values);
    const conditions = auditFilterConditions(filter, { bind, typeColumn: TYPE_COLUMN });
    if (before != null) conditions.push(`id < ${bind(before)}`);
    const text = `SELECT ${COLUMNS} FROM audit_events${whereClause(conditions)} ORDER BY id DESC LIMIT ${bind(limit)}`;
    return (await query<AuditRow>(this.pool, text, values)).rows.map(toRecord);
  }

  async count(filter: AuditFilter): Promise<number> {
    const values: AuditFilterValue[] = [];
    const conditions = auditFilterConditions(filter, { bind: binder(values), typeColumn: TYPE_COLUMN });
    return (await query<{ n: number }>(this.pool, `SELECT count(*) AS n FROM audit_events${whereClause(conditions)}`, values)).rows[0]?.n ?? 0;
  }

  async chain(afterId: number, limit: number): Promise<AuditEventRecord[]> {
    return (await query<AuditRow>(this.pool, CHAIN, [afterId, limit])).rows.map(toRecord);
  }

  async head(): Promise<AuditChainHead | null> {
    const row = (await query<AuditChainHeadRow>(this.pool, HEAD)).rows[0];
    return row ? toHead(row) : null;
  }

  async findById(id: number): Promise<AuditEventRecord | null> {
    const row = (await query<AuditRow>(this.pool, BY_ID, [id])).rows[0];
    return row ? toRecord(row) : null;
  }
}
