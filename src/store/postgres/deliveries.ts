// The durable delivery queue on PostgreSQL (issue 26, migration 0017), shared by every node. A claim locks the
// due rows it takes and skips those another node is taking at the same moment (FOR UPDATE SKIP LOCKED), so nodes
// claiming together each get other rows and none waits for another; a settlement lands only while its node holds
// the lease.
import { toPage } from '../cursor.js';
import type { DeliveryRecord, DeliverySettlement, NewDelivery, Page } from '../records.js';
import { COLUMNS, dueOrder, INSERT_COLUMNS, pageAfter, pageKey, settlementValues, toRecord, type DeliveryRow } from '../rows/deliveries.js';
import type { DeliveryRepository, ListOptions } from '../store.js';
import { inTransaction, query, statement, type PostgresPool } from './database.js';

// A delivery for an endpoint or a client deleted meanwhile is not written; one already queued for the same endpoint
// and event stays the only one (UNIQUE (webhook_id, event_id)).
const INSERT = statement(
  'deliveries.insert',
  `INSERT INTO deliveries (${INSERT_COLUMNS}) SELECT $1, $2, $3::text, $4::text, $5::bigint, $6, $7, 'pending', 0, $8, $9, $10, $11, $11 ` +
    'WHERE ($3::text IS NULL OR EXISTS (SELECT 1 FROM webhooks WHERE id = $3::text)) AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM clients WHERE client_id = $4::text)) ' +
    `ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING ${COLUMNS}`,
);
// The rows are chosen once (a MATERIALIZED CTE: a subquery in UPDATE … FROM may be run again by the plan, and with
// SKIP LOCKED each run finds other rows, past the limit); the state is checked again on the row locked (a row
// another node settled or leased since the snapshot is left).
const CLAIM = statement(
  'deliveries.claim',
  'WITH due AS MATERIALIZED (' +
    "SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) " +
    'ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) ' +
    'UPDATE deliveries d SET lease_owner = $1, lease_until = $3, updated_at = $2 FROM due ' +
    `WHERE d.id = due.id AND d.state = 'pending' AND (d.lease_until IS NULL OR d.lease_until <= $2) RETURNING ${COLUMNS.split(', ')
      .map((column) => `d.${column}`)
      .join(', ')}`,
);
const SETTLE = statement(
  'deliveries.settle',
  'UPDATE deliveries SET state = $1, next_attempt_at = coalesce($2, next_attempt_at), last_status = $3, last_error = $4, attempts = attempts + 1, ' +
    `lease_owner = NULL, lease_until = NULL, updated_at = $5 WHERE id = $6 AND lease_owner = $7 AND state = 'pending' RETURNING ${COLUMNS}`,
);
const REDELIVER = statement(
  'deliveries.redeliver',
  `UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE id = $2 AND state IN ('delivered', 'dead') RETURNING ${COLUMNS}`,
);
const BY_ID = statement('deliveries.byId', `SELECT ${COLUMNS} FROM deliveries WHERE id = $1`);
const COUNTS = statement('deliveries.counts', "SELECT state, count(*)::integer AS n FROM deliveries WHERE state IN ('pending', 'dead') GROUP BY state");
const DELETE_SETTLED = statement('deliveries.deleteSettled', "DELETE FROM deliveries WHERE state IN ('delivered', 'dead') AND updated_at < $1");

type Owner = 'webhook_id' | 'client_id';

// Newest first on the (owner, created_at) index; the id (COLLATE "C", as SQLite compares it) breaks ties.
const PAGES: Record<Owner, { first: ReturnType<typeof statement>; next: ReturnType<typeof statement> }> = {
  webhook_id: {
    first: statement('deliveries.webhookFirst', `SELECT ${COLUMNS} FROM deliveries WHERE webhook_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`),
    next: statement('deliveries.webhookNext', `SELECT ${COLUMNS} FROM deliveries WHERE webhook_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`),
  },
  client_id: {
    first: statement('deliveries.clientFirst', `SELECT ${COLUMNS} FROM deliveries WHERE client_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`),
    next: statement('deliveries.clientNext', `SELECT ${COLUMNS} FROM deliveries WHERE client_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`),
  },
};

export class PostgresDeliveryRepository implements DeliveryRepository {
  constructor(private readonly pool: PostgresPool) {}

  async enqueue(deliveries: NewDelivery[], now: number): Promise<DeliveryRecord[]> {
    if (deliveries.length === 0) return [];
    const rows = await inTransaction(this.pool, async (client) => {
      const written: DeliveryRow[] = [];
      for (const delivery of deliveries) {
        const values = [
          delivery.id,
          delivery.kind,
          delivery.webhookId,
          delivery.clientId,
          delivery.eventId,
          delivery.eventType,
          delivery.payload,
          delivery.nextAttemptAt,
          delivery.lease?.owner ?? null,
          delivery.lease?.until ?? null,
          now,
        ];
        const row = (await client.query<DeliveryRow>({ name: INSERT.name, text: INSERT.text, values })).rows[0];
        if (row) written.push(row);
      }
      return written;
    });
    return rows.map(toRecord);
  }

  async claimDue(owner: string, now: number, leaseUntil: number, limit: number): Promise<DeliveryRecord[]> {
    const { rows } = await query<DeliveryRow>(this.pool, CLAIM, [owner, now, leaseUntil, limit]);
    return rows.map(toRecord).sort(dueOrder);
  }

  async settle(id: string, owner: string, settlement: DeliverySettlement, now: number): Promise<DeliveryRecord | null> {
    const row = (await query<DeliveryRow>(this.pool, SETTLE, [...settlementValues(settlement), now, id, owner])).rows[0];
    return row ? toRecord(row) : null;
  }

  async redeliver(id: string, now: number): Promise<DeliveryRecord | null> {
    const row = (await query<DeliveryRow>(this.pool, REDELIVER, [now, id])).rows[0];
    return row ? toRecord(row) : null;
  }

  async findById(id: string): Promise<DeliveryRecord | null> {
    const row = (await query<DeliveryRow>(this.pool, BY_ID, [id])).rows[0];
    return row ? toRecord(row) : null;
  }

  listForWebhook(webhookId: string, options: ListOptions): Promise<Page<DeliveryRecord>> {
    return this.page('webhook_id', webhookId, options);
  }

  listForClient(clientId: string, options: ListOptions): Promise<Page<DeliveryRecord>> {
    return this.page('client_id', clientId, options);
  }

  async counts(): Promise<{ pending: number; dead: number }> {
    const counts = { pending: 0, dead: 0 };
    for (const row of (await query<{ state: string; n: number }>(this.pool, COUNTS)).rows) if (row.state === 'pending' || row.state === 'dead') counts[row.state] = row.n;
    return counts;
  }

  async deleteSettledBefore(before: number): Promise<number> {
    return (await query(this.pool, DELETE_SETTLED, [before])).rowCount ?? 0;
  }

  private async page(owner: Owner, value: string, { after, limit }: ListOptions): Promise<Page<DeliveryRecord>> {
    let rows: DeliveryRow[];
    if (after) {
      const [createdAt, id] = pageAfter(after);
      rows = (await query<DeliveryRow>(this.pool, PAGES[owner].next, [value, createdAt, id, limit + 1])).rows;
    } else {
      rows = (await query<DeliveryRow>(this.pool, PAGES[owner].first, [value, limit + 1])).rows;
    }
    const page = toPage(rows, limit, pageKey);
    return { items: page.items.map(toRecord), next: page.next };
  }
}
