// The audit log's hash chain, checked end to end on a real SQLite store: events written through the store,
// then tampered with by raw SQL on the same file, as someone with access to the database could.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../src/audit/chain.js';
import { auditJsonLines, fromExportedLine, matchesAuditFilter } from '../../src/audit/export.js';
import { ChainChecker, verifyAuditChain } from '../../src/audit/verify.js';
import type { AuditEventRecord, NewAuditEvent } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

const T0 = Date.UTC(2025, 0, 31, 12, 0, 0);

describe('the audit hash chain (src/audit/verify.ts)', () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  let store: Store;
  let ids: number[];

  /** Runs SQL on the store's file through a connection of its own: tampering the store cannot see coming. */
  function tamper(sql: string, ...params: unknown[]): void {
    const db = new Database(file);
    try {
      const changes = db.prepare(sql).run(...params).changes;
      expect(changes, sql).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }

  async function append(count: number, from = 0): Promise<void> {
    for (let i = from; i < from + count; i++) {
      const event: NewAuditEvent = {
        at: T0 + i * 1000,
        type: i % 2 ? 'user.created' : 'signin.succeeded',
        actor: 'cli',
        subject: `u${i}`,
        ip: '203.0.113.7',
        details: { n: i, email: `p${i}@example.com` },
      };
      ids.push((await store.audit.append(event)).id);
    }
  }

  const id = (index: number): number => {
    const value = ids[index];
    if (value === undefined) throw new Error(`no event number ${index}`);
    return value;
  };

  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir.dir, 'idp.sqlite');
    store = openSqliteStore({ file, synchronous: 'NORMAL' });
    ids = [];
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('finds an empty log intact', async () => {
    expect(await verifyAuditChain(store)).toEqual({ intact: true, events: 0, lastId: null, lastHash: GENESIS_HASH, keyedFrom: null, keyedEvents: 0 });
  });

  it('finds an untouched log intact, across many batches, and names its last event and hash', async () => {
    await append(7);
    const head = await store.audit.head();
    for (const batchSize of [1, 2, 3, 7, 1000]) {
      expect(await verifyAuditChain(store, { batchSize })).toEqual({ intact: true, events: 7, lastId: id(6), lastHash: head?.lastHash, keyedFrom: null, keyedEvents: 0 });
    }
  });

  it('links every event to the one before, from the genesis hash', async () => {
    await append(3);
    const events = await store.audit.chain(0, 10);
    expect(events.map((e) => e.prevHash)).toEqual([GENESIS_HASH, events[0]?.hash, events[1]?.hash]);
  });

  describe('an edited event is named as edited, at its own id', () => {
    const edits: [string, string, unknown][] = [
      ['its details', 'details', JSON.stringify({ n: 3, email: 'someone-else@example.com' })],
      ['its actor', 'actor', 'u-innocent'],
      ['its time', 'at', T0],
      ['its outcome', 'outcome', 'failure'],
      ['its link to the previous event', 'prev_hash', GENESIS_HASH],
    ];
    for (const [what, column, value] of edits) {
      it(`when ${what} changed`, async () => {
        await append(6);
        tamper(`UPDATE audit_events SET ${column} = ? WHERE id = ?`, value, id(3));
        const result = await verifyAuditChain(store, { batchSize: 2 });
        expect(result).toMatchObject({ intact: false, brokenAt: id(3), reason: 'edited', events: 3 });
        expect(result.intact || result.message).toMatch(new RegExp(`^event #${id(3)} was changed`));
      });
    }

    it('even when its hash was recomputed: then the next event no longer links to it', async () => {
      await append(5);
      const [event] = await store.audit.chain(id(1), 1);
      if (!event) throw new Error('no event');
      const forged = eventHash(event.prevHash, {
        at: event.at,
        type: event.type,
        actor: 'u-innocent',
        subject: event.subject,
        clientId: event.clientId,
        ip: event.ip,
        outcome: event.outcome,
        detailsJson: JSON.stringify(event.details),
      });
      tamper('UPDATE audit_events SET actor = ?, hash = ? WHERE id = ?', 'u-innocent', forged, id(2));
      expect(await verifyAuditChain(store)).toMatchObject({ intact: false, brokenAt: id(3), reason: 'deleted_before' });
    });

    it('and details that are no longer JSON make the log unreadable past the last good event', async () => {
      await append(4);
      tamper('UPDATE audit_events SET details = ? WHERE id = ?', '{not json', id(2));
      expect(await verifyAuditChain(store, { batchSize: 1 })).toMatchObject({ intact: false, brokenAt: null, reason: 'unreadable', events: 2 });
    });
  });

  it('names a deleted event by the id of the event after it', async () => {
    await append(6);
    tamper('DELETE FROM audit_events WHERE id = ?', id(2));
    const result = await verifyAuditChain(store, { batchSize: 2 });
    expect(result).toMatchObject({ intact: false, brokenAt: id(3), reason: 'deleted_before', events: 2 });
    expect(result.intact || result.message).toContain(`does not link to event #${id(1)}`);
  });

  it('notices the first events deleted: the first one left does not start from the genesis hash', async () => {
    await append(4);
    tamper('DELETE FROM audit_events WHERE id <= ?', id(1));
    expect(await verifyAuditChain(store)).toMatchObject({ intact: false, brokenAt: id(2), reason: 'deleted_before', events: 0 });
  });

  it('notices the newest events cut off through the head, which points past the end', async () => {
    await append(5);
    tamper('DELETE FROM audit_events WHERE id >= ?', id(3));
    const result = await verifyAuditChain(store, { batchSize: 2 });
    expect(result).toMatchObject({ intact: false, brokenAt: null, reason: 'truncated', events: 3 });
    expect(result.intact || result.message).toContain(`points at event #${id(4)} but the log ends at #${id(2)}`);
  });

  it('notices every event deleted while the head remains', async () => {
    await append(3);
    tamper('DELETE FROM audit_events');
    expect(await verifyAuditChain(store)).toMatchObject({ intact: false, brokenAt: null, reason: 'truncated', events: 0 });
  });

  it('notices the head deleted while events remain', async () => {
    await append(3);
    tamper('DELETE FROM audit_chain_head');
    expect(await verifyAuditChain(store)).toMatchObject({ intact: false, brokenAt: null, reason: 'head_mismatch', events: 3 });
  });

  it('notices an event added behind the chain’s back (the head does not move), at that event', async () => {
    await append(3);
    const head = await store.audit.head();
    const fields = { at: T0 + 9000, type: 'user.deleted', actor: 'cli', subject: 'u9', clientId: null, ip: null, outcome: 'success', detailsJson: '{}' };
    // Even linked and hashed correctly, it is not where the head says the chain ends.
    tamper(
      'INSERT INTO audit_events (at, type, actor, subject, client_id, ip, outcome, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      fields.at,
      fields.type,
      fields.actor,
      fields.subject,
      null,
      null,
      'success',
      '{}',
      head?.lastHash,
      eventHash(head?.lastHash ?? '', fields),
    );
    const [added] = await store.audit.chain(id(2), 1);
    expect(await verifyAuditChain(store)).toMatchObject({ intact: false, brokenAt: added?.id, reason: 'head_mismatch', events: 4 });
  });

  it('follows events appended while it reads, rather than calling the tail cut off', async () => {
    await append(4);
    // A store whose head is read after two more appends landed: as if they happened during the walk.
    const racing: Pick<Store, 'audit'> = {
      audit: {
        chain: (afterId, limit) => store.audit.chain(afterId, limit),
        head: async () => {
          if (ids.length === 4) await append(2, 4);
          return store.audit.head();
        },
        append: (event) => store.audit.append(event),
        list: (options) => store.audit.list(options),
        count: (filter) => store.audit.count(filter),
        findById: (id) => store.audit.findById(id),
      },
    };
    expect(await verifyAuditChain(racing, { batchSize: 3 })).toMatchObject({ intact: true, events: 6, lastId: id(5) });
  });

  describe('an export (src/audit/export.ts)', () => {
    async function exported(filter = {}, batchSize = 2): Promise<AuditEventRecord[]> {
      let text = '';
      for await (const chunk of auditJsonLines(store, { filter, batchSize })) text += chunk;
      return text.split('\n').filter(Boolean).map(fromExportedLine);
    }

    it('is every event, oldest first, one JSON object per line, that checks out link by link', async () => {
      await append(5);
      const events = await exported();
      expect(events.map((e) => e.id)).toEqual(ids);
      const checker = new ChainChecker();
      for (const event of events) expect(checker.check(event)).toBeNull();
      expect(checker.result()).toEqual({ intact: true, events: 5, lastId: id(4), lastHash: (await store.audit.head())?.lastHash, keyedFrom: null, keyedEvents: 0 });
    });

    it('selects the events the screen’s filters select, in the same way as the store', async () => {
      await append(6);
      const filters = [
        { type: 'user.' },
        { type: 'user.created' },
        { type: 'user' },
        { subject: 'u2' },
        { actor: 'nobody' },
        { since: T0 + 2000, until: T0 + 4000 },
        { outcome: 'success' as const },
      ];
      for (const filter of filters) {
        const byStore = (await store.audit.list({ limit: 100, filter })).map((e) => e.id).reverse();
        expect(
          (await exported(filter)).map((e) => e.id),
          JSON.stringify(filter),
        ).toEqual(byStore);
        for (const event of await store.audit.chain(0, 100)) expect(matchesAuditFilter(event, filter)).toBe(byStore.includes(event.id));
      }
    });
  });
});
