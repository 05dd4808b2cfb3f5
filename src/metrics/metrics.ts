// The process's metrics (issue 26): one prom-client Registry of our own (never prom-client's global one), filled
// by cheap calls where things happen. `GET /metrics` (metrics-endpoint.ts) serves it with the key gauges and the
// process metrics. Labels are bounded by the code, never by the traffic: route and operation names, HTTP methods
// and status codes, outcomes, grant types, throttle rules. No label ever holds a user id, an email, a client id,
// a token or a session id (issue 26: "No label holds a user id, email or token"; client ids are left out too, so
// that the number of series stays bounded however many applications register).
import { Counter, Gauge, Histogram, Registry } from './prom.js';
import type { DeliveryKind } from '../store/records.js';

/** Every metric of ours lives here; `promtool check metrics` passes on its output (test/unit/metrics-lint.test.ts). */
export const registry = new Registry();

/** Sign-in methods as issue 26 names them; `second_factor` counts the second step of a two-step sign-in. */
export type SignInMethod = 'password' | 'passkey' | 'federated' | 'second_factor';
export type SignInOutcome = 'success' | 'failure';
/** One attempt of the delivery queue: delivered, failed and to be retried, or failed for good (the dead-letter state). */
export type DeliveryOutcome = 'delivered' | 'retry' | 'dead';

/** Latency buckets for requests (seconds): 1 ms to 10 s. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Store operations are usually well under a millisecond on SQLite, a few on PostgreSQL. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** An argon2id hash takes tens of milliseconds; waiting for a slot can take a multiple of it under a burst. */
const HASH_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** An RS256 signature takes about a millisecond, more when the thread pool is busy with hashes. */
const SIGNING_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

const httpRequests = new Counter({
  name: 'gatehouse_http_requests_total',
  help: 'HTTP requests answered, by route name (src/http/routes.ts; other for anything else), method and status code.',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});

const httpDuration = new Histogram({
  name: 'gatehouse_http_request_duration_seconds',
  help: 'Time from the request reaching the server to the last byte of the answer handed to the socket, by route name and method.',
  labelNames: ['route', 'method'] as const,
  buckets: REQUEST_BUCKETS,
  registers: [registry],
});

const signIns = new Counter({
  name: 'gatehouse_sign_ins_total',
  help: 'Sign-in steps by method (password, passkey, federated, second_factor) and outcome (success, failure).',
  labelNames: ['method', 'outcome'] as const,
  registers: [registry],
});

const tokensIssued = new Counter({
  name: 'gatehouse_tokens_issued_total',
  help: 'Successful token endpoint responses, by grant (authorization_code, refresh_token, client_credentials, device_code).',
  labelNames: ['grant'] as const,
  registers: [registry],
});

const refreshReuse = new Counter({
  name: 'gatehouse_refresh_token_reuse_detected_total',
  help: 'Refresh tokens presented again after their rotation (RFC 9700 §4.14.2): the grant was revoked.',
  registers: [registry],
});

const throttledRequests = new Counter({
  name: 'gatehouse_throttled_requests_total',
  help: 'Requests refused by a throttle (src/auth/throttle.ts), by rule (the throttle scope that refused).',
  labelNames: ['rule'] as const,
  registers: [registry],
});

const deliveries = new Counter({
  name: 'gatehouse_deliveries_total',
  help: 'Delivery attempts of the durable queue, by kind (webhook, backchannel_logout) and outcome (delivered, retry, dead).',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

const storeDuration = new Histogram({
  name: 'gatehouse_store_operation_duration_seconds',
  help: 'Time of store operations, by operation (repository.method), from the call to its promise settling.',
  labelNames: ['operation'] as const,
  buckets: STORE_BUCKETS,
  registers: [registry],
});

const hashQueueDepth = new Gauge({
  name: 'gatehouse_password_hash_queue_depth',
  help: 'Password hashes and verifications waiting for a hashing slot (src/auth/password-hash.ts).',
  registers: [registry],
});

const hashesRunning = new Gauge({
  name: 'gatehouse_password_hashes_running',
  help: 'Password hashes and verifications running in a hashing slot now.',
  registers: [registry],
});

const hashWait = new Histogram({
  name: 'gatehouse_password_hash_wait_seconds',
  help: 'Time a password hash or verification waited for a hashing slot before it started.',
  buckets: HASH_WAIT_BUCKETS,
  registers: [registry],
});

const signingInFlight = new Gauge({
  name: 'gatehouse_signing_in_flight',
  help: 'JWT signatures started and not yet finished (signing has no queue of its own: it waits for a libuv thread).',
  registers: [registry],
});

const signingDuration = new Histogram({
  name: 'gatehouse_signing_duration_seconds',
  help: 'Time from asking for a JWT signature to having it, including any wait for a libuv thread.',
  buckets: SIGNING_BUCKETS,
  registers: [registry],
});

/** The grant label: the device grant's URN (RFC 8628 §3.4) by its short name; the others are already short. */
function grantLabel(grantType: string): string {
  return grantType === 'urn:ietf:params:oauth:grant-type:device_code' ? 'device_code' : grantType;
}

/** Seconds since `started` (a performance.now() reading). */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

/**
 * What the rest of Gatehouse calls. Each call is a counter increment or a histogram observation: cheap enough for
 * every request. Label values come from the code (a fixed set), never from a request.
 */
export const metrics = {
  /** One answered HTTP request (src/metrics/http-metrics.ts computes the route name). */
  httpRequest(route: string, method: string, status: number, seconds: number): void {
    httpRequests.inc({ route, method, status: String(status) });
    httpDuration.observe({ route, method }, seconds);
  },
  /** One sign-in step's verdict. */
  signIn(method: SignInMethod, outcome: SignInOutcome): void {
    signIns.inc({ method, outcome });
  },
  /** A token endpoint response with tokens, by grant_type (one of the token endpoint's GRANTS). */
  tokensIssued(grantType: string): void {
    tokensIssued.inc({ grant: grantLabel(grantType) });
  },
  /** A rotated refresh token was presented again. */
  refreshTokenReuse(): void {
    refreshReuse.inc();
  },
  /** A request refused by the throttle rule (scope) `rule`. */
  throttled(rule: string): void {
    throttledRequests.inc({ rule });
  },
  /** One attempt of the delivery queue (src/delivery/queue.ts). */
  deliveryAttempt(kind: DeliveryKind, outcome: DeliveryOutcome): void {
    deliveries.inc({ kind, outcome });
  },
  /** One store operation (src/metrics/instrument-store.ts). */
  storeOperation(operation: string, seconds: number): void {
    storeDuration.observe({ operation }, seconds);
  },
  /**
   * A password hash or verification asks for a hashing slot: returns `started`, to call once it has one, which
   * returns `finished`, to call once the hash is done.
   */
  passwordHashQueued(): { started(): () => void } {
    const queuedAt = performance.now();
    hashQueueDepth.inc();
    return {
      started() {
        hashQueueDepth.dec();
        hashWait.observe(secondsSince(queuedAt));
        hashesRunning.inc();
        return () => hashesRunning.dec();
      },
    };
  },
  /** A JWT signature starts: returns `finished`. */
  signingStarted(): () => void {
    const startedAt = performance.now();
    signingInFlight.inc();
    return () => {
      signingInFlight.dec();
      signingDuration.observe(secondsSince(startedAt));
    };
  },
};
