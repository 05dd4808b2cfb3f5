// Brute-force throttling (OWASP ASVS V2.2.1, NIST SP 800-63B §5.2.2), kept in the store so that it holds across
// restarts and nodes. Two counters watch every guarded attempt: one per account (keyed by the email as typed,
// normalised, so an address with no account is throttled exactly like one with an account: the answer never
// tells them apart), and one per client address across all accounts (credential stuffing).
import type { Clock } from '../clock.js';
import { normalizeEmail } from '../store/normalize-email.js';
import type { ThrottleCounter, ThrottleRule } from '../store/throttle-counter.js';
import type { Store } from '../store/store.js';
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

/** What is guarded: sign-in passwords, client secrets at the token endpoint, password-reset and verification-link requests. */
export type ThrottleScope = 'signin' | 'client' | 'reset' | 'verify';

/** Which counter refused: the account's or the address's. */
export type ThrottledBy = 'account' | 'address';

interface Guard {
  key: string;
  rule: ThrottleRule;
  by: ThrottledBy;
}

export type Admission = { allowed: true; guards: Guard[] } | { allowed: false; retryAt: number; by: ThrottledBy };

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
   * Counts an attempt before it is checked (a password against its argon2 hash), on the account and on the
   * address; refused, counting nothing, when either is blocked. Counting first means that concurrent guesses
   * cannot all slip in under the limit. A success then takes its count back (succeeded).
   */
  async admit(scope: ThrottleScope, account: string, ip: string | undefined): Promise<Admission> {
    const now = this.clock.now();
    const counted: Guard[] = [];
    for (const guard of guards(scope, account, ip)) {
      const verdict = await this.store.throttle.attempt(guard.key, guard.rule, now);
      if (!verdict.allowed) {
        // The address's counter was not at fault: the refused attempt does not count on it.
        await Promise.all(counted.map((done) => this.store.throttle.refund(done.key, done.rule, now)));
        return { allowed: false, retryAt: verdict.retryAt, by: guard.by };
      }
      counted.push(guard);
    }
    return { allowed: true, guards: counted };
  }

  /** The attempt succeeded: the account's failures are forgotten, and the address gets its attempt back. */
  async succeeded(admission: Admission): Promise<void> {
    if (!admission.allowed) return;
    const now = this.clock.now();
    await Promise.all(
      admission.guards.map((guard) => (guard.by === 'account' ? this.store.throttle.clear(guard.key) : this.store.throttle.refund(guard.key, guard.rule, now))),
    );
  }

  /** Lifts the account's counter (the person proved who they are another way: a password reset by mail). */
  async forget(scope: ThrottleScope, account: string): Promise<void> {
    await this.store.throttle.clear(accountKey(scope, scope === 'client' ? account : normalizeEmail(account)));
  }

  /**
   * For checks too cheap to count ahead (a client secret's SHA-256): reads the counters, counting nothing. The
   * check's outcome then goes to failed() or succeeded() of the answer.
   */
  async inspect(scope: ThrottleScope, account: string, ip: string | undefined): Promise<Inspection> {
    const now = this.clock.now();
    const all = guards(scope, account, ip);
    const counters = await Promise.all(all.map((guard) => this.store.throttle.peek(guard.key, now)));
    let refusal: Refusal | null = null;
    counters.forEach((counter, index) => {
      const until = blockedUntil(counter, now);
      if (until !== null && (refusal === null || until > refusal.retryAt)) refusal = { retryAt: until, by: all[index]!.by };
    });
    const [, accountGuard] = all;
    const accountCounter = counters[1];
    return {
      refusal,
      failed: async () => {
        const at = this.clock.now();
        await Promise.all(all.map((guard) => this.store.throttle.attempt(guard.key, guard.rule, at)));
      },
      // Only written when there were failures to forget: a client's every token request costs no write.
      succeeded: async () => {
        if (accountCounter) await this.store.throttle.clear(accountGuard.key);
      },
    };
  }
}

export interface Inspection {
  /** Set when the attempt must be refused now. */
  refusal: Refusal | null;
  /** Counts the failed check on the account and the address. */
  failed(): Promise<void>;
  /** Forgets the account's failures. */
  succeeded(): Promise<void>;
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
