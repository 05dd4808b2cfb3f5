// AUDIT_CHAIN_KEY (issue 20): with the key, new audit events are chained with HMAC-SHA-256 under it, so whoever
// rewrites the log needs the key as well as the database. Checked on every way a store is opened (SQLite directly,
// SQLite on its writer thread, PostgreSQL), with the verifier told or not told the key, and against a rewrite
// by someone without it. The keyed hash is recomputed here from its definition, not through src/audit/chain.ts.
import { createHmac } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { eventHash } from '../../src/audit/chain.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { AuditEventRecord, NewAuditEvent } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/thread/threaded-store.js';
import type { Store } from '../../src/store/store.js';
import { freshPostgresSchema, TEST_DATABASE_URL } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

const KEY = Buffer.alloc(32, 0x5a);
const OTHER_KEY = Buffer.alloc(32, 0x5b);
const T0 = Date.UTC(2026, 11, 1);

interface Opened {
  /** A store on the same database, with or without the chain key. */
  open(key: Buffer | null): Promise<Store>;
  /** Runs SQL on the database directly, as someone with access to it could. */
  sql(text: string, params: unknown[]): Promise<void>;
  cleanup(): Promise<void>;
}

function sqlite(threaded: boolean) {
  return async (): Promise<Opened> => {
    const dir = tempDir();
    const file = path.join(dir.dir, 'idp.sqlite');
    return {
      open: async (key) => (threaded ? ThreadedSqliteStore.open({ file, synchronous: 'NORMAL', auditChainKey: key }) : openSqliteStore({ file, synchronous: 'NORMAL', auditChainKey: key })),
      sql: async (text, params) => {
        const db = new Database(file);
        try {
          db.prepare(text.replace(/\$\d+/g, '?')).run(...params);
        } finally {
          db.close();
        }
      },
      cleanup: async () => dir.remove(),
    };
  };
}

async function postgres(): Promise<Opened> {
  const schema = await freshPostgresSchema(TEST_DATABASE_URL ?? '');
  return {
    open: (key) => openPostgresStore({ url: TEST_DATABASE_URL ?? '', poolSize: 2, schema: schema.schema, auditChainKey: key }),
    sql: async (text, params) => {
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        await client.query(text, params);
      } finally {
        await client.end();
      }
    },
    cleanup: () => schema.drop(),
  };
}

const ways: [string, () => Promise<Opened>][] = [
  ['SQLite', sqlite(false)],
  ['SQLite on its writer thread', sqlite(true)],
];
if (TEST_DATABASE_URL) ways.push(['PostgreSQL', postgres]);

const event = (n: number): NewAuditEvent => ({ at: T0 + n, type: 'user.created', actor: 'cli', subject: `u${n}`, clientId: null, ip: null, outcome: 'success', details: { n } });

describe.each(ways)('AUDIT_CHAIN_KEY on %s', (_name, way) => {
  let opened: Opened;
  const stores: Store[] = [];
  const open = async (key: Buffer | null) => {
    const store = await opened.open(key);
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await opened?.cleanup();
  });

  /** Two events before the key, three after: the ids of the keyed ones. */
  async function mixedLog(): Promise<{ store: Store; plain: AuditEventRecord[]; keyed: AuditEventRecord[] }> {
    opened = await way();
    const before = await open(null);
    const plain = [await before.audit.append(event(1)), await before.audit.append(event(2))];
    await before.close();
    const store = await open(KEY);
    const keyed = [await store.audit.append(event(3)), await store.audit.append(event(4)), await store.audit.append(event(5))];
    return { store, plain, keyed };
  }

  it('chains new events with HMAC-SHA-256 under the key, marked k1:, linked on from the unkeyed ones', async () => {
    const { plain, keyed } = await mixedLog();
    expect(plain.every((e) => /^[0-9a-f]{64}$/.test(e.hash))).toBe(true);
    const first = keyed[0] as AuditEventRecord;
    expect(first.prevHash).toBe(plain[1]?.hash);
    const framed = JSON.stringify([
      'gatehouse-audit-hmac-v1',
      first.prevHash,
      first.at,
      first.type,
      first.actor,
      first.subject,
      first.clientId,
      first.ip,
      first.outcome,
      JSON.stringify(first.details),
    ]);
    expect(first.hash).toBe(`k1:${createHmac('sha256', KEY).update(framed).digest('hex')}`);
  });

  it('verifies with the key, and says from which event the chain is keyed', async () => {
    const { store, keyed } = await mixedLog();
    expect(await verifyAuditChain(store, { key: KEY })).toMatchObject({ intact: true, events: 5, keyedFrom: keyed[0]?.id, keyedEvents: 3 });
  });

  it('fails closed without the key, naming the first keyed event', async () => {
    const { store, keyed } = await mixedLog();
    expect(await verifyAuditChain(store)).toMatchObject({ intact: false, reason: 'key_missing', brokenAt: keyed[0]?.id, events: 2 });
  });

  it('fails with another key, as an edit', async () => {
    const { store, keyed } = await mixedLog();
    const result = await verifyAuditChain(store, { key: OTHER_KEY });
    expect(result).toMatchObject({ intact: false, reason: 'edited', brokenAt: keyed[0]?.id });
    expect(result.intact ? '' : result.message).toContain('AUDIT_CHAIN_KEY is not the key it was written with');
  });

  it('catches a keyed event rewritten by someone without the key, who chains it with SHA-256 instead', async () => {
    const { store, keyed } = await mixedLog();
    const last = keyed[2] as AuditEventRecord;
    const forged = { ...last, actor: 'someone-else' };
    const hash = eventHash(last.prevHash, { ...forged, detailsJson: JSON.stringify(forged.details) });
    await opened.sql('UPDATE audit_events SET actor = $1, hash = $2 WHERE id = $3', ['someone-else', hash, last.id]);
    await opened.sql('UPDATE audit_chain_head SET last_hash = $1', [hash]);
    expect(await verifyAuditChain(store, { key: KEY })).toMatchObject({ intact: false, reason: 'unkeyed_after_keyed', brokenAt: last.id });
  });

  it('catches a keyed event edited in place', async () => {
    const { store, keyed } = await mixedLog();
    await opened.sql('UPDATE audit_events SET subject = $1 WHERE id = $2', ['someone-else', keyed[1]?.id]);
    expect(await verifyAuditChain(store, { key: KEY })).toMatchObject({ intact: false, reason: 'edited', brokenAt: keyed[1]?.id });
  });

  it('resumes a walk from an earlier position and checks only what came after', async () => {
    const { store, keyed } = await mixedLog();
    const first = await verifyAuditChain(store, { key: KEY });
    if (!first.intact) throw new Error(first.message);
    // Tampering before the position goes unseen by the resumed walk: the whole walk is what catches it.
    await opened.sql('UPDATE audit_events SET subject = $1 WHERE id = $2', ['someone-else', keyed[0]?.id]);
    const more = await store.audit.append(event(6));
    expect(await verifyAuditChain(store, { key: KEY, from: first })).toMatchObject({ intact: true, events: 6, lastId: more.id, keyedFrom: keyed[0]?.id, keyedEvents: 4 });
    expect(await verifyAuditChain(store, { key: KEY })).toMatchObject({ intact: false, reason: 'edited', brokenAt: keyed[0]?.id });
  });
});
