// Checks the audit log's hash chain (src/audit/chain.ts) from the first event to the stored head, a batch at a
// time so that memory stays bounded however long the log is. `idp audit verify` and the admin audit screen
// both use it; ChainChecker alone also checks an exported file, event by event. A walk may resume from where an
// earlier one ended (the admin screen checks only what was appended since), and it says which part of the chain
// is keyed (AUDIT_CHAIN_KEY): once one event is keyed every later one must be, and a keyed event is checked only
// with the key.
import type { AuditChainHead, AuditEventRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { eventHash, GENESIS_HASH, isKeyedHash } from './chain.js';

/** Why a chain is not intact. */
export type ChainBreak =
  /** An event's fields no longer hash to its stored hash: the row was edited. */
  | 'edited'
  /** An event does not link to the event stored before it: events between them were deleted (or that one rewritten). */
  | 'deleted_before'
  /** The head points past the last event: the newest events were cut off. */
  | 'truncated'
  /** There are events but no head, or events after the head that no append linked in. */
  | 'head_mismatch'
  /** A stored event cannot even be read back (its details are not JSON). */
  | 'unreadable'
  /** An event is hashed without the key after keyed ones: rewritten by someone who does not have the key. */
  | 'unkeyed_after_keyed'
  /** A keyed event, and this check was not given AUDIT_CHAIN_KEY: it cannot tell. */
  | 'key_missing';

/** Where a walk stands after an intact stretch: enough to resume it from there. */
export interface ChainPosition {
  events: number;
  lastId: number | null;
  lastHash: string;
  /** The first keyed event, null while none is. */
  keyedFrom: number | null;
  keyedEvents: number;
}

export type ChainVerification =
  | ({ intact: true } & ChainPosition)
  | {
      intact: false;
      /** Events found intact before the break. */
      events: number;
      /** The first event that shows the break; null when the break is at the tail (cut-off events, head). */
      brokenAt: number | null;
      reason: ChainBreak;
      /** One sentence for a person. */
      message: string;
    };

export type ChainBroken = Extract<ChainVerification, { intact: false }>;

/** Which part of an intact chain is keyed, for a person: `keyed from #12 (30 events)` or `not keyed`. */
export function keyedPart(position: ChainPosition): string {
  return position.keyedFrom === null ? 'not keyed' : `keyed from #${position.keyedFrom} (${position.keyedEvents} event${position.keyedEvents === 1 ? '' : 's'})`;
}

export const DEFAULT_BATCH_SIZE = 1000;

/** What an event's hash covers, read back from the record (`details` as the JSON text it was stored as). */
export function recomputedHash(event: AuditEventRecord, key: Buffer | null = null): string {
  return eventHash(
    event.prevHash,
    {
      at: event.at,
      type: event.type,
      actor: event.actor,
      subject: event.subject,
      clientId: event.clientId,
      ip: event.ip,
      outcome: event.outcome,
      detailsJson: JSON.stringify(event.details),
    },
    key,
  );
}

/** Follows a chain one event at a time, oldest first, and remembers where it stands. */
export class ChainChecker {
  events = 0;
  lastId: number | null = null;
  lastHash: string;
  keyedFrom: number | null = null;
  keyedEvents = 0;

  /**
   * `startHash`: GENESIS_HASH for a whole log; an export that starts later begins at its first event's prevHash.
   * `key`: AUDIT_CHAIN_KEY, without which keyed events cannot be checked.
   */
  constructor(
    startHash: string = GENESIS_HASH,
    private readonly key: Buffer | null = null,
  ) {
    this.lastHash = startHash;
  }

  /** A checker that goes on from a position an earlier walk reached. */
  static resume(position: ChainPosition, key: Buffer | null): ChainChecker {
    const checker = new ChainChecker(position.lastHash, key);
    Object.assign(checker, { events: position.events, lastId: position.lastId, keyedFrom: position.keyedFrom, keyedEvents: position.keyedEvents });
    return checker;
  }

  position(): ChainPosition {
    return { events: this.events, lastId: this.lastId, lastHash: this.lastHash, keyedFrom: this.keyedFrom, keyedEvents: this.keyedEvents };
  }

  /** Null when `event` extends the chain; otherwise the break it shows. */
  check(event: AuditEventRecord): ChainBroken | null {
    const keyed = isKeyedHash(event.hash);
    if (!keyed && this.keyedFrom !== null) {
      return this.broken(
        event.id,
        'unkeyed_after_keyed',
        `event #${event.id} is hashed without AUDIT_CHAIN_KEY although the chain is keyed from #${this.keyedFrom}: it was rewritten by someone without the key`,
      );
    }
    if (keyed && this.key === null) {
      return this.broken(event.id, 'key_missing', `event #${event.id} and those after it are chained under AUDIT_CHAIN_KEY: give this check the key to verify them`);
    }
    // The event's own hash first: an edited row is named as such, not as a gap before the next one.
    if (recomputedHash(event, keyed ? this.key : null) !== event.hash) {
      const message = keyed
        ? `event #${event.id} does not match its keyed hash: it was changed after it was written, or AUDIT_CHAIN_KEY is not the key it was written with`
        : `event #${event.id} was changed after it was written: its fields no longer match its hash`;
      return this.broken(event.id, 'edited', message);
    }
    if (event.prevHash !== this.lastHash) {
      const message =
        this.lastId === null
          ? `event #${event.id} is the first one stored, but it does not start the chain: the events before it were deleted`
          : `event #${event.id} does not link to event #${this.lastId} stored before it: events between them were deleted (or #${this.lastId} was rewritten)`;
      return this.broken(event.id, 'deleted_before', message);
    }
    this.events += 1;
    this.lastId = event.id;
    this.lastHash = event.hash;
    if (keyed) {
      this.keyedFrom ??= event.id;
      this.keyedEvents += 1;
    }
    return null;
  }

  /** Whether the head (kept apart from the events) points exactly at the last event checked. */
  checkHead(head: AuditChainHead | null, firstPastHead: number | null): ChainBroken | null {
    if (this.lastId === null) {
      return head ? this.broken(null, 'truncated', `the chain head points at event #${head.lastId} but no event is left: every event was deleted`) : null;
    }
    if (!head) return this.broken(null, 'head_mismatch', `there are ${this.events} events but no chain head: the head was deleted`);
    if (head.lastId > this.lastId) {
      return this.broken(null, 'truncated', `the chain head points at event #${head.lastId} but the log ends at #${this.lastId}: the newest events were deleted`);
    }
    if (head.lastId < this.lastId) {
      return this.broken(
        firstPastHead,
        'head_mismatch',
        `the chain head points at event #${head.lastId} but the log goes on to #${this.lastId}: events were added without going through the chain`,
      );
    }
    if (head.lastHash !== this.lastHash) {
      return this.broken(this.lastId, 'head_mismatch', `the chain head does not hold the hash of the last event #${this.lastId}: the head or that event was rewritten`);
    }
    return null;
  }

  broken(brokenAt: number | null, reason: ChainBreak, message: string): ChainBroken {
    return { intact: false, events: this.events, brokenAt, reason, message };
  }

  result(): ChainVerification {
    return { intact: true, ...this.position() };
  }
}

/** Reads one batch; a row whose details are no longer JSON cannot be read back, which is itself tampering. */
async function readBatch(store: Pick<Store, 'audit'>, checker: ChainChecker, batchSize: number): Promise<AuditEventRecord[] | ChainBroken> {
  const afterId = checker.lastId ?? 0;
  try {
    return await store.audit.chain(afterId, batchSize);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return checker.broken(null, 'unreadable', `an event after ${afterId === 0 ? 'the start of the log' : `#${afterId}`} cannot be read: its details are not valid JSON`);
  }
}

export interface VerifyOptions {
  batchSize?: number;
  /** AUDIT_CHAIN_KEY, to check the keyed part of the chain. */
  key?: Buffer | null;
  /** Where an earlier intact walk ended: only the events after it are read (the head is still checked). */
  from?: ChainPosition;
}

/**
 * Walks the chain, oldest first (from the start, or on from an earlier walk's position), then compares the head
 * with where the walk ended. Events appended while the walk runs are followed too: an append moves the head in
 * the same transaction as it writes the event, so a head past the end of the walk is only a cut-off tail if no
 * event is left to read after the last one.
 */
export async function verifyAuditChain(store: Pick<Store, 'audit'>, { batchSize = DEFAULT_BATCH_SIZE, key = null, from }: VerifyOptions = {}): Promise<ChainVerification> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const checker = from ? ChainChecker.resume(from, key) : new ChainChecker(GENESIS_HASH, key);
  /** The position after which the chain was read once more because the head pointed further. */
  let rereadAfter: number | null = null;
  for (;;) {
    const batch = await readBatch(store, checker, batchSize);
    if (!Array.isArray(batch)) return batch;
    for (const event of batch) {
      const broken = checker.check(event);
      if (broken) return broken;
    }
    if (batch.length === batchSize) continue;
    const head = await store.audit.head();
    const position = checker.lastId ?? 0;
    if (head && head.lastId > position && rereadAfter !== position) {
      // Appended since the last batch was read? Read on once before calling the tail cut off.
      rereadAfter = position;
      continue;
    }
    const firstPastHead = head && checker.lastId !== null && head.lastId < checker.lastId ? ((await store.audit.chain(head.lastId, 1))[0]?.id ?? null) : null;
    return checker.checkHead(head, firstPastHead) ?? checker.result();
  }
}
