// The audit log's hash chain. Each event stores the hash of the one before it and a hash of its own fields
// together with that link, so editing an event changes its hash (the next event no longer points at it),
// deleting one breaks the link across the gap, and cutting off the newest ones leaves the chain head
// (stored apart) pointing past the end. Both engines and the verifier share this one definition.
//
// Anyone who can write the database can also recompute a SHA-256 chain after rewriting it. With AUDIT_CHAIN_KEY
// set, new events are chained with HMAC-SHA-256 under that key instead (issue 20), so rewriting them needs the
// key, which lives in the servers' configuration, not in the database. A keyed hash says so (`k1:` before the hex)
// so that a verifier knows which part of the chain it needs the key for.
import { createHash, createHmac } from 'node:crypto';

/** The `prevHash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Versioned, so that a future change of the hashed fields can be told apart from tampering. */
const DOMAIN = 'gatehouse-audit-v1';
const KEYED_DOMAIN = 'gatehouse-audit-hmac-v1';
/** What a keyed hash starts with. */
export const KEYED_PREFIX = 'k1:';

/** Whether a stored hash was made under AUDIT_CHAIN_KEY. */
export function isKeyedHash(hash: string): boolean {
  return hash.startsWith(KEYED_PREFIX);
}

/** The fields an event's hash covers, exactly as they are stored (`details` as its JSON text). */
export interface ChainedFields {
  at: number;
  type: string;
  actor: string;
  subject: string | null;
  clientId: string | null;
  ip: string | null;
  outcome: string;
  detailsJson: string;
}

/**
 * SHA-256 (hex) of the event's fields and the previous hash, or with `key` their HMAC-SHA-256 marked `k1:`; JSON
 * framing keeps field boundaries unambiguous, and each form has its own domain label.
 */
export function eventHash(prevHash: string, fields: ChainedFields, key: Buffer | null = null): string {
  const framed = JSON.stringify([key ? KEYED_DOMAIN : DOMAIN, prevHash, fields.at, fields.type, fields.actor, fields.subject, fields.clientId, fields.ip, fields.outcome, fields.detailsJson]);
  if (key) return KEYED_PREFIX + createHmac('sha256', key).update(framed, 'utf8').digest('hex');
  return createHash('sha256').update(framed, 'utf8').digest('hex');
}
