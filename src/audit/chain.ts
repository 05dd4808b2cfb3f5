// The audit log's hash chain. Each event stores the hash of the one before it and a hash of its own fields
// together with that link, so editing an event changes its hash (the next event no longer points at it),
// deleting one breaks the link across the gap, and cutting off the newest ones leaves the chain head
// (stored apart) pointing past the end. Both engines and the verifier share this one definition.
import { createHash } from 'node:crypto';

/** The `prevHash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Versioned, so that a future change of the hashed fields can be told apart from tampering. */
const DOMAIN = 'gatehouse-audit-v1';

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

/** SHA-256 (hex) of the event's fields and the previous hash; JSON framing keeps field boundaries unambiguous. */
export function eventHash(prevHash: string, fields: ChainedFields): string {
  const framed = JSON.stringify([DOMAIN, prevHash, fields.at, fields.type, fields.actor, fields.subject, fields.clientId, fields.ip, fields.outcome, fields.detailsJson]);
  return createHash('sha256').update(framed, 'utf8').digest('hex');
}
