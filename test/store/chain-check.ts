// Checks the audit log's hash chain the way a verifier would, from the outside: reads every event oldest first
// through `chain`, recomputes each hash from the stored fields (src/audit/chain.ts) and follows the links from
// GENESIS_HASH to the head.
import { expect } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../src/audit/chain.js';
import type { AuditEventRecord } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';

/** Every event, oldest first, read `batch` at a time. */
export async function readChain(store: Store, batch = 7): Promise<AuditEventRecord[]> {
  const events: AuditEventRecord[] = [];
  for (let page = await store.audit.chain(0, batch); page.length > 0; page = await store.audit.chain(page[page.length - 1]?.id ?? 0, batch)) {
    events.push(...page);
  }
  return events;
}

/** The hash an event must carry: its fields as stored (`details` as the JSON text it was written as) and its link. */
export function expectedHash(event: AuditEventRecord, prevHash: string): string {
  const { at, type, actor, subject, clientId, ip, outcome } = event;
  return eventHash(prevHash, { at, type, actor, subject, clientId, ip, outcome, detailsJson: JSON.stringify(event.details) });
}

/** Asserts one unbroken chain from GENESIS_HASH to the stored head, and returns its events. */
export async function expectUnbrokenChain(store: Store): Promise<AuditEventRecord[]> {
  const events = await readChain(store);
  let prevHash = GENESIS_HASH;
  for (const event of events) {
    expect(event.prevHash, `event ${event.id} links to the one before`).toBe(prevHash);
    expect(event.hash, `event ${event.id} carries the hash of its fields`).toBe(expectedHash(event, prevHash));
    prevHash = event.hash;
  }
  const last = events[events.length - 1];
  expect(await store.audit.head()).toEqual(last ? { lastId: last.id, lastHash: last.hash } : null);
  return events;
}
