// Whether a stored refresh token may still be used, in one place for the refresh grant and introspection.
// The client binding and the reuse response are the caller's: they differ between the two.
import type { Lifetimes } from '../../config.js';
import type { RefreshTokenRecord, SessionRecord, UserRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';

export type RefreshTokenProblem = 'revoked' | 'rotated' | 'expired' | 'user_unavailable' | 'session_ended';

/** `session`: the live sign-in session a session-bound token depends on (null for an offline token). */
export type RefreshTokenStatus = { usable: true; user: UserRecord; session: SessionRecord | null } | { usable: false; problem: RefreshTokenProblem };

/** A token granted offline_access outlives the sign-in session (OIDC Core §11); any other dies with it. */
export function isOffline(record: RefreshTokenRecord): boolean {
  return record.scope.split(' ').includes('offline_access');
}

export async function refreshTokenStatus(store: Store, lifetimes: Pick<Lifetimes, 'sessionIdle'>, record: RefreshTokenRecord, now: number): Promise<RefreshTokenStatus> {
  if (record.revokedAt !== null) return { usable: false, problem: 'revoked' };
  if (record.rotatedAt !== null) return { usable: false, problem: 'rotated' };
  if (record.expiresAt <= now) return { usable: false, problem: 'expired' };
  const user = await store.users.findById(record.userId);
  if (!user || user.disabled) return { usable: false, problem: 'user_unavailable' };
  if (isOffline(record)) return { usable: true, user, session: null };
  // Stryker disable next-line ConditionalExpression: equivalent for -> false; no session has a null id hash, so findLive(null) finds none either (the -> true mutant, which refuses every session-bound token, dies in refresh-grant.test.ts)
  const session = record.sessionIdHash === null ? null : await store.sessions.findLive(record.sessionIdHash, now);
  if (!session || session.lastSeenAt + lifetimes.sessionIdle * 1000 <= now) return { usable: false, problem: 'session_ended' };
  return { usable: true, user, session };
}
