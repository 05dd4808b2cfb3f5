// Brute-force throttling (OWASP ASVS V2.2.1, NIST SP 800-63B §5.2.2), kept in the store so that it holds across
// restarts and nodes. Two counters watch every guarded attempt: one per account (keyed by the email as typed,
// normalised, so an address with no account is throttled exactly like one with an account: the answer never
// tells them apart), and one per client address across all accounts (credential stuffing).
// Client authentication is not an account: its failures count per client address only (clientFailure), so that
// nobody can lock an application out by naming its public client_id. Unauthenticated requests that store a row
// (a pending sign-in, a passkey challenge) are admitted per client address (admitAddress), which bounds the rows
// one address can leave in the store.
import { isIPv4, isIPv6 } from 'node:net';
import type { Clock } from '../clock.js';
import { metrics } from '../metrics/metrics.js';
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
  /** Per client address, across accounts (and, for client authentication, across clients): 100 failures an hour. */
  address: { limit: 100, windowMs: HOUR, block: { kind: 'window' }, memoryMs: HOUR },
  /**
   * Per client address, every unauthenticated request that stores a row: 600 in 10 minutes, one a second on
   * average. A person starts a handful of sign-ins in ten minutes; 600 leaves room for hundreds of people behind
   * one NAT. What one address can keep stored is then bounded: a pending sign-in lives 30 minutes and is swept
   * within 10 more (src/store/housekeeping.ts), so at most 4 × 600 of them per address; a passkey challenge lives
   * 5 minutes, so at most 2 × 600. The counter is one row per address and scope, gone with its window.
   */
  admission: { limit: 600, windowMs: 10 * MINUTE, block: { kind: 'window' }, memoryMs: 10 * MINUTE },
  /**
   * Per client address, the audit events of refused attempts (a throttled sign-in or reset request): 20 an hour,
   * then the refusals are only logged. Each audit event is a row in a table nobody prunes (the hash chain), and
   * refusals, unlike failures, have no budget of their own: without this a blocked address could grow the audit
   * log by one row per request for ever.
   */
  refusalAudit: { limit: 20, windowMs: HOUR, block: { kind: 'window' }, memoryMs: HOUR },
  /**
   * Device user codes typed at /device (RFC 8628 §5.1, issue 22), every wrong one counted, on three counters:
   * 10 per browser in 15 minutes (a person mistyping from a television's screen needs a few tries, never ten),
   * 50 per signed-in person and 50 per client address an hour. There are 20^8 ≈ 2.6 × 10^10 codes (src/oidc/user-code.ts)
   * and a code lives 10 minutes by default (DEVICE_CODE_TTL): even with 1,000 codes waiting at every moment, one
   * guess finds one with odds of 1 in 2.6 × 10^7, so an address (or a person: nobody signs up here, an
   * administrator makes every account) allowed 50 an hour, 438,000 a year, expects under 0.02 hits a year. The
   * browser's counter is the one a person meets; the person's and the address's hold against whoever clears their
   * cookies. A code found is never a reason to forget failures: anyone can make valid codes with a public device
   * client, so a success must not buy a fresh budget. Window blocks: past the limit even the right code waits for
   * the window to end.
   */
  deviceCodeBrowser: { limit: 10, windowMs: 15 * MINUTE, block: { kind: 'window' }, memoryMs: 15 * MINUTE },
  deviceCodePerson: { limit: 50, windowMs: HOUR, block: { kind: 'window' }, memoryMs: HOUR },
  deviceCodeAddress: { limit: 50, windowMs: HOUR, block: { kind: 'window' }, memoryMs: HOUR },
  /**
   * Per client address, dynamic client registrations (POST /register, RFC 7591; issue 24) and their updates (PUT
   * /register/<client_id>, RFC 7592): 20 an hour, every request counted whatever becomes of it. A registration
   * stores a client (a row that stays until someone deletes it) and makes the server resolve the host names it gives
   * (jwks_uri, backchannel_logout_uri): a developer registers a handful, a script flooding the clients table or
   * using the server to probe DNS is stopped. RFC 7591 §5 leaves the limit to the server.
   */
  registration: { limit: 20, windowMs: HOUR, block: { kind: 'window' }, memoryMs: HOUR },
} as const satisfies Record<string, ThrottleRule>;

/**
 * What is guarded per account: sign-in passwords, password-reset and verification-link requests, and
 * second-factor codes (TOTP and recovery codes, keyed by the account's email like passwords).
 */
export type ThrottleScope = 'signin' | 'reset' | 'verify' | 'second_factor';

/**
 * Unauthenticated requests that store a row, admitted per address: GET /authorize's pending sign-in, a passkey
 * sign-in's challenge, a device authorization (a public device client authenticates with its client_id alone);
 * and, under their own rule (THROTTLE_RULES.registration), dynamic client registrations and their updates.
 */
export type AdmissionScope = 'authorize' | 'passkey_options' | 'device_authorization' | 'federation' | 'registration';

/** The rule of each admission scope: THROTTLE_RULES.admission, except registration's own. */
function admissionRule(scope: AdmissionScope): ThrottleRule {
  return scope === 'registration' ? THROTTLE_RULES.registration : THROTTLE_RULES.admission;
}

/** Audit events of refused attempts, bounded per address (THROTTLE_RULES.refusalAudit). */
export type RefusalAuditScope = 'signin_refusal_audit' | 'reset_refusal_audit';

/** Which counter refused: the account's or the address's. */
export type ThrottledBy = 'account' | 'address';

interface Guard {
  key: string;
  rule: ThrottleRule;
  by: ThrottledBy;
}

export type Admission = { allowed: true } | { allowed: false; retryAt: number; by: ThrottledBy };

/** An address's admission: refused past its budget; `blockedUntil` when this request used the last of it. */
export type AddressAdmission = { allowed: true; blockedUntil: number | null } | { allowed: false; retryAt: number };

/**
 * A failed client authentication: counted on the address (`blockedUntil` set when it used up the budget), or
 * not counted because the address is already blocked (answer 429 until `retryAt`).
 */
export type ClientFailure = { counted: true; blockedUntil: number | null } | { counted: false; retryAt: number };

export interface Refusal {
  retryAt: number;
  by: ThrottledBy;
}

/**
 * The counters of one attempt, the address's first: when the account's then refuses, the address's count is
 * taken back exactly (a window counter's refund is exact; a backoff counter's would not restore its old block).
 * Keys hold hashes, not emails as typed: the table never collects the addresses people mistype.
 */
function guards(scope: ThrottleScope, account: string, ip: string | undefined): [address: Guard, account: Guard] {
  return [
    { key: addressKey(scope, ip), rule: THROTTLE_RULES.address, by: 'address' },
    { key: accountKey(scope, normalizeEmail(account)), rule: THROTTLE_RULES.account, by: 'account' },
  ];
}

function addressKey(scope: ThrottleScope | AdmissionScope | RefusalAuditScope | 'client' | 'device_code', ip: string | undefined): string {
  return `${scope}:address:${addressBucket(ip)}`;
}

/**
 * The part of a client address that names one subscriber: an IPv4 address as it is (an IPv4-mapped IPv6
 * address as its IPv4 address), an IPv6 address by its /64 prefix, which one subscriber or network segment
 * receives whole (RFC 6177, RFC 7421): counting single IPv6 addresses would hand anyone 2^64 budgets.
 */
export function addressBucket(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const bare = ip.replace(/%.*$/, '');
  if (isIPv4(bare) || !isIPv6(bare)) return bare;
  const groups = ipv6Groups(bare);
  // ::ffff:a.b.c.d is an IPv4 client of a dual-stack socket.
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return groups
      .slice(6, 8)
      .flatMap((group) => [group >> 8, group & 0xff])
      .join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address. */
function ipv6Groups(address: string): number[] {
  // A dotted IPv4 tail stands for the last two groups.
  const text = address.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_all, a: string, b: string, c: string, d: string) => `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  // Stryker disable next-line ArrayDeclaration: equivalent; an extra group lands last, after the /64 and the mapped IPv4 groups (a NaN there reads as 0)
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // Stryker disable next-line ArrayDeclaration: equivalent; without "::" a valid address already has eight groups, so an extra one lands ninth, read by nothing
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
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
   * The gate of one attempt whose failures count (a password, a code): refused on arrival when a counter
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
      for (const [index, guard] of all.entries()) {
        const until = blockedUntil(counters[index] ?? null, now);
        if (until !== null && (refusal === null || until > refusal.retryAt)) refusal = { retryAt: until, by: guard.by };
      }
      return { refusal, accountCounted: counters[1] !== null };
    };
    let state = await read();
    // Issue 26: each refusal counted once, on arrival or once its turn to hash came (gatehouse_throttled_requests_total).
    if (state.refusal) metrics.throttled(scope);
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
        if (state.refusal) metrics.throttled(scope);
        return state.refusal === null;
      },
      mismatched: count,
      failed: count,
      // Only written when there were failures to forget: a successful sign-in usually costs no write.
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
    if (!first.allowed) {
      metrics.throttled(scope);
      return { allowed: false, retryAt: first.retryAt, by: 'address' };
    }
    const second = await this.store.throttle.attempt(accountGuard.key, accountGuard.rule, now);
    if (!second.allowed) {
      // The address was not at fault: the refused request does not count on it (a window counter's refund is exact).
      await this.store.throttle.refund(address.key, address.rule, now);
      metrics.throttled(scope);
      return { allowed: false, retryAt: second.retryAt, by: 'account' };
    }
    return { allowed: true };
  }

  /** Lifts the account's counter (the person proved who they are another way: a password reset by mail). */
  async forget(scope: ThrottleScope, account: string): Promise<void> {
    await this.store.throttle.clear(accountKey(scope, normalizeEmail(account)));
  }

  /**
   * Counts a failed client authentication on the client address alone (THROTTLE_RULES.address: 100 an hour,
   * across every client id tried), never on the client id: client ids are public, and a counter per client id
   * let anyone lock an application out of the token endpoint. Guessing is left to the secrets themselves, 256
   * random bits (RFC 6819 §5.1.4.2.2): the budget only stops one address from hammering, and bounds the
   * failures it can have audited. Read first, so that a blocked address's failures cost no write.
   */
  async clientFailure(ip: string | undefined): Promise<ClientFailure> {
    const key = addressKey('client', ip);
    const now = this.clock.now();
    const blocked = blockedUntil(await this.store.throttle.peek(key, now), now);
    // Issue 26: a failure not counted is answered 429, a request refused by the throttle (rule `client`).
    if (blocked !== null) {
      metrics.throttled('client');
      return { counted: false, retryAt: blocked };
    }
    const verdict = await this.store.throttle.attempt(key, THROTTLE_RULES.address, now);
    if (!verdict.allowed) {
      metrics.throttled('client');
      return { counted: false, retryAt: verdict.retryAt };
    }
    return { counted: true, blockedUntil: await this.blockStartedBy(verdict.attempts, key, THROTTLE_RULES.address, now) };
  }

  /**
   * Admits one unauthenticated request that stores a row (THROTTLE_RULES.admission; a registration:
   * THROTTLE_RULES.registration), counted on its address whatever becomes of it; refused, counting and storing
   * nothing, once the address has used its budget. Read first, so that refusing a flood costs no write.
   */
  async admitAddress(scope: AdmissionScope, ip: string | undefined): Promise<AddressAdmission> {
    const admission = await this.admitUnder(scope, admissionRule(scope), ip);
    if (!admission.allowed) metrics.throttled(scope);
    return admission;
  }

  /**
   * Whether a refused attempt from this address may still be audited (THROTTLE_RULES.refusalAudit); past the
   * budget it is only logged. A blocked address's refusals cost a read, no write.
   */
  async mayAuditRefusal(scope: RefusalAuditScope, ip: string | undefined): Promise<boolean> {
    return (await this.admitUnder(scope, THROTTLE_RULES.refusalAudit, ip)).allowed;
  }

  /**
   * The gate of one user code typed at /device (THROTTLE_RULES.deviceCodeBrowser, …Person, …Address): refused on
   * arrival while any of the three is blocked, so that past the limit nothing is looked up, not even the right code.
   * `browser` is the browser cookie's value and `userId` the signed-in person; both are kept only hashed.
   */
  async deviceCodeGate(browser: string, userId: string, ip: string | undefined): Promise<DeviceCodeGate> {
    const counters: { key: string; rule: ThrottleRule; by: DeviceCodeCounter }[] = [
      { key: `device_code:browser:${hashSecret(browser)}`, rule: THROTTLE_RULES.deviceCodeBrowser, by: 'browser' },
      { key: `device_code:person:${hashSecret(userId)}`, rule: THROTTLE_RULES.deviceCodePerson, by: 'person' },
      { key: addressKey('device_code', ip), rule: THROTTLE_RULES.deviceCodeAddress, by: 'address' },
    ];
    const latest = async (now: number): Promise<DeviceCodeRefusal | null> => {
      const stored = await Promise.all(counters.map((counter) => this.store.throttle.peek(counter.key, now)));
      let refusal: DeviceCodeRefusal | null = null;
      for (const [index, counter] of counters.entries()) {
        const until = blockedUntil(stored[index] ?? null, now);
        if (until !== null && (refusal === null || until > refusal.retryAt)) refusal = { retryAt: until, by: counter.by };
      }
      return refusal;
    };
    const refusal = await latest(this.clock.now());
    if (refusal) metrics.throttled('device_code');
    return {
      refusal,
      failed: async () => {
        const now = this.clock.now();
        const verdicts = await Promise.all(counters.map((counter) => this.store.throttle.attempt(counter.key, counter.rule, now)));
        // Only the failure that reached a limit started a block; the ones after it are refused on arrival.
        const reached = verdicts.some((verdict, index) => verdict.allowed && verdict.attempts === counters[index]?.rule.limit);
        return reached ? latest(now) : null;
      },
    };
  }

  private async admitUnder(scope: AdmissionScope | RefusalAuditScope, rule: ThrottleRule, ip: string | undefined): Promise<AddressAdmission> {
    const key = addressKey(scope, ip);
    const now = this.clock.now();
    const blocked = blockedUntil(await this.store.throttle.peek(key, now), now);
    if (blocked !== null) return { allowed: false, retryAt: blocked };
    const verdict = await this.store.throttle.attempt(key, rule, now);
    if (!verdict.allowed) return { allowed: false, retryAt: verdict.retryAt };
    return { allowed: true, blockedUntil: await this.blockStartedBy(verdict.attempts, key, rule, now) };
  }

  /** When the attempt just counted reached the rule's limit, the block it started (read once per block); else null. */
  private async blockStartedBy(attempts: number, key: string, rule: ThrottleRule, now: number): Promise<number | null> {
    if (attempts !== rule.limit) return null;
    return blockedUntil(await this.store.throttle.peek(key, now), now);
  }
}

/** Which counter refused a device user code (THROTTLE_RULES.deviceCode*). */
export type DeviceCodeCounter = 'browser' | 'person' | 'address';

export interface DeviceCodeRefusal {
  retryAt: number;
  by: DeviceCodeCounter;
}

/** The gate of one device user code typed at /device (Throttle.deviceCodeGate). */
export interface DeviceCodeGate {
  /** Set when a counter is blocked: the code is not looked up. */
  refusal: DeviceCodeRefusal | null;
  /** Counts a wrong code on every counter; returns the block this failure started (for the audit log), else null. */
  failed(): Promise<DeviceCodeRefusal | null>;
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
  // Read into a constant: gate.refusal itself changes while the password waits for its turn to hash (gate.admit).
  const onArrival = gate.refusal;
  if (onArrival) return { outcome: 'throttled', refusal: onArrival };
  if (Buffer.byteLength(password) > MAX_CREDENTIAL_BYTES) {
    await gate.failed();
    return { outcome: 'mismatch' };
  }
  const verdict = await verifyPasswordGated(hash, password, gate);
  // Stryker disable next-line LogicalOperator: equivalent; once admit has run, gate.refusal is set exactly when the verdict is 'refused'
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
