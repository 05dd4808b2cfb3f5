// A superseded key's retirement, decided once and stored (Gatehouse issue 20). A key stays in the JWKS until every
// token it signed has expired: its supersession plus the retirement delay, which follows from ID_TOKEN_TTL and
// ACCESS_TOKEN_TTL. Recomputed on every load from the lifetimes configured now, raising one after the fact put a
// retired key back into the JWKS, and lowering one retired a key before the tokens it signed under the old
// lifetimes had expired (relying parties verify with the keys the JWKS holds when they fetch it: OpenID Connect
// Core 1.0 §10.1.1).
//
// So the first process that sees a key superseded (its successor active: the key signs no more, and its last
// tokens carry this process's lifetimes) decides supersession + its own delay and stores it in the key store,
// where the first decision wins whoever else decides at the same moment. From then on every process uses the
// stored time, whatever its configuration says. Keys superseded before retirements were stored get theirs, with
// the delay then in effect, the first time a key ring loads them after the upgrade.
import { computeSchedule, type KeyFacts, type Schedule } from './key-schedule.js';
import type { KeyStore, SigningKey } from './key-store.js';

export interface RetirementDecision {
  kid: string;
  retiresAt: number;
}

/**
 * The keys superseded by the schedule's time that have no stored retirement, each with the one the schedule gives
 * it. A revoked key needs none: revocation takes it out of the JWKS at once.
 */
export function undecidedRetirements<K extends KeyFacts>(schedule: Schedule<K>): RetirementDecision[] {
  return schedule.keys.flatMap(({ key, state, supersededAt, retiresAt }) =>
    supersededAt !== null && supersededAt <= schedule.at && key.retiredAt === null && state !== 'revoked' && retiresAt !== null ? [{ kid: key.kid, retiresAt }] : [],
  );
}

/**
 * Decides and stores the retirement of every key of `keys` superseded by `now` without one, with this process's
 * delay; returns `keys` with the retirements as stored (another process's, where it decided first).
 */
export async function decideRetirements(store: KeyStore, keys: SigningKey[], now: number, retirementDelayMs: number): Promise<SigningKey[]> {
  const decisions = undecidedRetirements(computeSchedule(keys, now, retirementDelayMs));
  if (decisions.length === 0) return keys;
  const stored = new Map<string, SigningKey>();
  for (const { kid, retiresAt } of decisions) {
    const key = await store.decideRetirement(kid, retiresAt);
    // Gone since it was read (deleted by hand): the next load no longer has it either.
    if (key) stored.set(kid, key);
  }
  return keys.map((key) => stored.get(key.kid) ?? key);
}
