// Brute-force throttling (OWASP ASVS V2.2.1, NIST SP 800-63B §5.2.2), kept in the store so that it holds across
// restarts and nodes. Two counters watch every guarded attempt: one per account (keyed by the email as typed,
// normalised, so an address with no account is throttled exactly like one with an account: the answer never
// tells them apart), and one per client address across all accounts (credential stuffing).
import type { Clock } from '../clock.js';
import { normalizeEmail } from '../store/normalize-email.js';
import type { ThrottleCounter, ThrottleRule } from '../store/throttle-counter.js';
import type { Store } from '../store/store.js';
import { MAX_CREDENTIAL_BYTES } from './authenticate.js';
import { verifyPasswordGated, type HashingGate } from './password-hash.js';
import { hashSecret } from './secrets.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const THROTTLE_RULES = {
  /**
   * Per account: 5 attempts within 15 minutes, then each further one waits 1 minute, doubling, at most 1 hour.
   * The backoff is remembered for a day after the last attempt (or until a success), so that waiting out one
   * block does not buy a fresh set of five guesses.
   */
  account: { limit: 5, windowMs: 15 * MINUTE, block: { kind: 'backoff', baseMs: MINUTE, maxMs: HOUR }, memoryMs: DAY },
  /** Per client address, across accounts: 100 attempts an hour. */
  address: { limit: 100, windowMs: HOUR, block: { kind: 'window' }, memoryMs: HOUR },
} as const satisfies Record<string, ThrottleRule>;

/**
 * What is guarded: sign-in passwords, client secrets at the token endpoint, password-reset and verification-link
 * requests, and second-factor codes (TOTP and recovery codes, keyed by the account's email like passwords).
 */
export type ThrottleScope = 'signin' | 'client' | 'reset' | 'verify' | 'second_factor';

/** Which counter refused: the account's or the address's. */
export type ThrottledBy = 'account' | 'address';

interface Guard {
  key: string;
  rule: ThrottleRule;
  by: ThrottledBy;
}

export type Admission = { allowed: true } | { allowed: false; retryAt: number; by: ThrottledBy };

export interface Refusal {
  retryAt: number;
  by: ThrottledBy;
}

/**
 * The counters of one attempt, the address's first: when the account's then refuses, the address's count is
 * taken back exactly (a window counter's refund is exact; a backoff counter's would not restore its old block).
 * Keys hold hashes, not emails or client ids as typed: the table never collects the addresses people mistype.
 */
function guards(scope: ThrottleScope, account: string, ip: string | undefined): [address: Guard, account: Guard] {
  const name = scope === 'client' ? account : normalizeEmail(account);
  return [
    { key: `${scope}:address:${ip ?? 'unknown'}`, rule: THROTTLE_RULES.address, by: 'address' },
    { key: accountKey(scope, name), rule: THROTTLE_RULES.account, by: 'account' },
  ];
}

function accountKey(scope: ThrottleScope, name: string): string {
  return `${scope}:account:${hashSecret(name)}`;
}

function blockedUntil(counter: ThrottleCounter | null, now: number): number | null {
  return counter && counter.blockedUntil !== null && counter.blockedUntil > now ? counter.blockedUntil : null;
}

export class Throttle {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * The gate of one attempt whose failures count (a password, a client secret): refused on arrival when a counter
   * is blocked; for a password asked again in the hashing slot (HashingGate); a failure counted on the account and
   * the address; a success forgetting the account's failures. Only failures count, as the limits say ("5 failures
   * within 15 minutes", "100 failed attempts an hour"), so people signing in to one account at once never
   * throttle each other.
   */
  async gate(scope: ThrottleScope, account: string, ip: string | undefined): Promise<ThrottleGate> {
    const all = guards(scope, account, ip);
    const read = async () => {
      const now = this.clock.now();
      const counters = await Promise.all(all.map((guard) => this.store.throttle.peek(guard.key, now)));
      let refusal: Refusal | null = null;
      counters.forEach((counter, index) => {
        const until = blockedUntil(counter, now);
        if (until !== null && (refusal === null || until > refusal.retryAt)) refusal = { retryAt: until, by: all[index]!.by };
      });
      return { refusal, accountCounted: counters[1] !== null };
    };
    let state = await read();
    const count = async () => {
      const now = this.clock.now();
      await Promise.all(all.map((guard) => this.store.throttle.attempt(guard.key, guard.rule, now)));
      state.accountCounted = true;
    };
    const gate: ThrottleGate = {
      refusal: state.refusal,
      admit: async () => {
        state = await read();
        gate.refusal = state.refusal;
        return state.refusal === null;
      },
      mismatched: count,
      failed: count,
      // Only written when there were failures to forget: a client's every token request costs no write.
      succeeded: async () => {
        if (state.accountCounted) await this.store.throttle.clear(all[1].key);
      },
    };
    return gate;
  }

  /**
   * Counts a request whose every instance costs something whatever its outcome (a reset request sends a mail),
   * on the address and the account; refused, counting nothing, when either is blocked.
   */
  async admit(scope: ThrottleScope, account: string, ip: string | undefined): Promise<Admission> {
    const now = this.clock.now();
    const [address, accountGuard] = guards(scope, account, ip);
    const first = await this.store.throttle.attempt(address.key, address.rule, now);
    if (!first.allowed) return { allowed: false, retryAt: first.retryAt, by: 'address' };
    const second = await this.store.throttle.attempt(accountGuard.key, accountGuard.rule, now);
    if (!second.allowed) {
      // The address was not at fault: the refused request does not count on it (a window counter's refund is exact).
      await this.store.throttle.refund(address.key, address.rule, now);
      return { allowed: false, retryAt: second.retryAt, by: 'account' };
    }
    return { allowed: true };
  }

  /** Lifts the account's counter (the person proved who they are another way: a password reset by mail). */
  async forget(scope: ThrottleScope, account: string): Promise<void> {
    await this.store.throttle.clear(accountKey(scope, scope === 'client' ? account : normalizeEmail(account)));
  }
}

export interface ThrottleGate extends HashingGate {
  /** Set when the attempt is refused: on arrival, or once its turn to hash came (admit). */
  refusal: Refusal | null;
  /** Counts a failure that no hash mismatch counted (a wrong client secret, a disabled account, input too long). */
  failed(): Promise<void>;
  /** Forgets the account's failures. */
  succeeded(): Promise<void>;
}

export type PasswordCheck = { outcome: 'match' } | { outcome: 'mismatch' } | { outcome: 'throttled'; refusal: Refusal };

/** A password checked against a known account's hash under the throttle (a re-entered or current password). */
export async function checkPasswordThrottled(throttle: Throttle, email: string, ip: string | undefined, hash: string, password: string): Promise<PasswordCheck> {
  const gate = await throttle.gate('signin', email, ip);
  if (gate.refusal) return { outcome: 'throttled', refusal: gate.refusal };
  if (Buffer.byteLength(password) > MAX_CREDENTIAL_BYTES) {
    await gate.failed();
    return { outcome: 'mismatch' };
  }
  const verdict = await verifyPasswordGated(hash, password, gate);
  if (verdict === 'refused' && gate.refusal) return { outcome: 'throttled', refusal: gate.refusal };
  if (verdict !== 'match') return { outcome: 'mismatch' };
  await gate.succeeded();
  return { outcome: 'match' };
}

/** Whole seconds until `retryAt`, at least 1: the Retry-After header (RFC 9110 §10.2.3). */
export function retryAfterSeconds(retryAt: number, now: number): number {
  return Math.max(1, Math.ceil((retryAt - now) / 1000));
}

/** "in 45 seconds", "in 2 minutes", "in 1 hour": when to try again, in words a person reads at a glance. */
export function tryAgainIn(retryAt: number, now: number): string {
  const seconds = retryAfterSeconds(retryAt, now);
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.ceil(minutes / 60);
  return `in ${hours} hour${hours === 1 ? '' : 's'}`;
}
