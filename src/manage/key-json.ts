// A signing key, and an application not ready for the next one, as JSON: the same fields for `idp keys --json` and
// the management API's /keys (issue 26), so the two never drift apart.
import type { ClientReadiness } from '../signing/key-readiness.js';
import type { KeyTimeline } from '../signing/key-schedule.js';
import { describeKey, type SigningKey } from '../signing/key-store.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function keyJson({ key, state, retiresAt }: KeyTimeline<SigningKey>, now: number) {
  const info = describeKey(key);
  const past = (at: number | null) => (at !== null && at <= now ? at : null);
  return {
    kid: info.kid,
    alg: info.alg,
    bits: info.bits,
    state,
    published: state === 'pending' || state === 'active' || state === 'published',
    created_at: new Date(info.createdAt).toISOString(),
    activates_at: new Date(info.activatedAt).toISOString(),
    activated_at: iso(past(info.activatedAt)),
    retires_at: iso(retiresAt),
    retired_at: iso(past(retiresAt)),
    retirement_decided: info.retiredAt !== null,
    revoked_at: iso(info.revokedAt),
  };
}

/** An application not known to have fetched the JWKS since the new key was published (src/signing/key-readiness.ts). */
export function notReadyJson(client: ClientReadiness) {
  return {
    client_id: client.clientId,
    name: client.name,
    state: client.state,
    last_seen_at: new Date(client.lastSeenAt).toISOString(),
    last_jwks_fetch_at: iso(client.lastJwksFetchAt),
  };
}
