// The durable delivery queue on SQLite (issue 26, migration 0017). Every write is one statement, so it is atomic
// as SQLite takes its one write lock for the statement: a claim leases each due row to one caller, a settlement
// lands only while its node holds the lease, whichever connection (the server's writer thread, the `idp` tool)
// makes them.
import { toPage } from '../cursor.js';
import type { DeliveryRecord, DeliverySettlement, NewDelivery, Page } from '../records.js';
import { COLUMNS, dueOrder, INSERT_COLUMNS, pageAfter, pageKey, settlementValues, toRecord, type DeliveryRow } from '../rows/deliveries.js';
import type { DeliveryRepository, ListOptions } from '../store.js';
import type { SqliteDatabase } from './database.js';

type Owner = 'webhook_id' | 'client_id';

interface InsertParams {
  id: string;
  kind: string;
  webhookId: string | null;
  clientId: string | null;
  eventId: number | null;
  eventType: string;
  payload: string | null;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  now: number;
}

function insertParams(delivery: NewDelivery, now: number): InsertParams {
  const { id, kind, webhookId, clientId, eventId, eventType, payload, nextAttemptAt } = delivery;
  return { id, kind, webhookId, clientId, eventId, eventType, payload, nextAttemptAt, leaseOwner: delivery.lease?.owner ?? null, leaseUntil: delivery.lease?.until ?? null, now };
}

export class SqliteDeliveryRepository implements DeliveryRepository {
  private readonly enqueueTx;
  private readonly claimStmt;
  private readonly settleStmt;
  private readonly redeliverStmt;
  private readonly byId;
  private readonly countsStmt;
  private readonly deleteSettledStmt;
  private readonly pages: Record<Owner, { first: ReturnType<typeof firstPage>; next: ReturnType<typeof nextPage> }>;

  constructor(db: SqliteDatabase) {
    // A delivery for an endpoint or a client deleted meanwhile is not written (the foreign keys would refuse it);
    // one already queued for the same endpoint and event stays the only one (UNIQUE (webhook_id, event_id)).
    const insertStmt = db.prepare<[InsertParams], DeliveryRow>(
      `INSERT INTO deliveries (${INSERT_COLUMNS}) SELECT @id, @kind, @webhookId, @clientId, @eventId, @eventType, @payload, 'pending', 0, @nextAttemptAt, @leaseOwner, @leaseUntil, @now, @now ` +
        'WHERE (@webhookId IS NULL OR EXISTS (SELECT 1 FROM webhooks WHERE id = @webhookId)) AND (@clientId IS NULL OR EXISTS (SELECT 1 FROM clients WHERE client_id = @clientId)) ' +
        `ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING ${COLUMNS}`,
    );
    this.enqueueTx = db.transaction((deliveries: NewDelivery[], now: number): DeliveryRow[] =>
      deliveries.flatMap((delivery) => {
        const row = insertStmt.get(insertParams(delivery, now));
        return row ? [row] : [];
      }),
    );
    // One statement: the rows chosen and their leases written under the one write lock, so two nodes never lease
    // the same row. A lapsed lease (its node stopped or hung) is free again.
    this.claimStmt = db.prepare<[{ owner: string; now: number; leaseUntil: number; limit: number }], DeliveryRow>(
      'UPDATE deliveries SET lease_owner = @owner, lease_until = @leaseUntil, updated_at = @now WHERE id IN (' +
        "SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now) ORDER BY next_attempt_at, id LIMIT @limit" +
        `) RETURNING ${COLUMNS}`,
    );
    this.settleStmt = db.prepare<[string, number | null, number | null, string | null, number, string, string], DeliveryRow>(
      'UPDATE deliveries SET state = ?, next_attempt_at = coalesce(?, next_attempt_at), last_status = ?, last_error = ?, attempts = attempts + 1, ' +
        `lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? AND state = 'pending' RETURNING ${COLUMNS}`,
    );
    this.redeliverStmt = db.prepare<[number, number, string], DeliveryRow>(
      `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND state IN ('delivered', 'dead') RETURNING ${COLUMNS}`,
    );
    this.byId = db.prepare<[string], DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE id = ?`);
    this.countsStmt = db.prepare<[], { state: string; n: number }>("SELECT state, count(*) AS n FROM deliveries WHERE state IN ('pending', 'dead') GROUP BY state");
    this.deleteSettledStmt = db.prepare<[number]>("DELETE FROM deliveries WHERE state IN ('delivered', 'dead') AND updated_at < ?");
    this.pages = {
      webhook_id: { first: firstPage(db, 'webhook_id'), next: nextPage(db, 'webhook_id') },
      client_id: { first: firstPage(db, 'client_id'), next: nextPage(db, 'client_id') },
    };
  }

  async enqueue(deliveries: NewDelivery[], now: number): Promise<DeliveryRecord[]> {
    if (deliveries.length === 0) return [];
    return this.enqueueTx.immediate(deliveries, now).map(toRecord);
  }

  async claimDue(owner: string, now: number, leaseUntil: number, limit: number): Promise<DeliveryRecord[]> {
    return this.claimStmt.all({ owner, now, leaseUntil, limit }).map(toRecord).sort(dueOrder);
  }

  async settle(id: string, owner: string, settlement: DeliverySettlement, now: number): Promise<DeliveryRecord | null> {
    const row = this.settleStmt.get(...settlementValues(settlement), now, id, owner);
    return row ? toRecord(row) : null;
  }

  async redeliver(id: string, now: number): Promise<DeliveryRecord | null> {
    const row = this.redeliverStmt.get(now, now, id);
    return row ? toRecord(row) : null;
  }

  async findById(id: string): Promise<DeliveryRecord | null> {
    const row = this.byId.get(id);
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
    for (const row of this.countsStmt.all()) if (row.state === 'pending' || row.state === 'dead') counts[row.state] = row.n;
    return counts;
  }

  async deleteSettledBefore(before: number): Promise<number> {
    return this.deleteSettledStmt.run(before).changes;
  }

  private async page(owner: Owner, value: string, { after, limit }: ListOptions): Promise<Page<DeliveryRecord>> {
    let rows: DeliveryRow[];
    if (after) {
      const [createdAt, id] = pageAfter(after);
      rows = this.pages[owner].next.all(value, createdAt, id, limit + 1);
    } else {
      rows = this.pages[owner].first.all(value, limit + 1);
    }
    const page = toPage(rows, limit, pageKey);
    return { items: page.items.map(toRecord), next: page.next };
  }
}

// Newest first on the (owner, created_at) index; the id breaks ties between rows of one millisecond.
function firstPage(db: SqliteDatabase, owner: Owner) {
  return db.prepare<[string, number], DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE ${owner} = ? ORDER BY created_at DESC, id DESC LIMIT ?`);
}

function nextPage(db: SqliteDatabase, owner: Owner) {
  return db.prepare<[string, number, string, number], DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE ${owner} = ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?`);
}
