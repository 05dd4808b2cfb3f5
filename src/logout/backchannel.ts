// Back-Channel Logout 1.0 §2.5: POSTs a logout token to each client that received tokens in an ended
// session. Every attempt has a short timeout and the attempts are few and spaced out; the person's logout
// waits only for the first round, never longer than FIRST_ROUND_WAIT_MS, and retries go on in the background.
// The receiver's address is an administrator's choice, and this server makes the request from inside its
// network: outside development, private, loopback, link-local and other special-purpose addresses are refused
// (src/manage/client-urls.ts) on every address the host name resolves to at each attempt, and the connection
// goes to an address that was checked (the request's own `lookup`, src/http/outbound-request.ts), so a DNS
// answer that changes between the check and the connection (DNS rebinding) cannot redirect it. The audit log
// says only what kind of failure it was (FailureReason), never the network's error text, so that it is no port
// scanner's read-out.
//
// Issue 24: strangers register clients once dynamic registration is open, so the address rule is per client
// (allowsPrivateAddresses, src/http/outbound-request.ts): a dynamically registered client's receiver may be on a
// private address only when both ALLOW_PRIVATE_CLIENT_URLS and REGISTRATION_ALLOW_PRIVATE_URLS say so. And when a
// person removes an application's access, the application hears of it too: per session it took part in (`sid` and
// `sub`), or, when there is none, once for the person (`sub` only, Back-Channel Logout 1.0 §2.4).
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { Clock } from '../clock.js';
import { allowsPrivateAddresses, checkedConnection, RefusedAddressError, type OutboundAddressPolicy, type Resolver } from '../http/outbound-request.js';
import type { Logger } from '../logger.js';
import type { SigningKey } from '../signing/key-store.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { signLogoutToken } from './logout-token.js';

export interface BackchannelOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Delays before the second, third … attempt. */
  retryDelaysMs: number[];
  /** The longest a logout waits for deliveries. */
  firstRoundWaitMs: number;
}

export const DEFAULT_BACKCHANNEL_OPTIONS: BackchannelOptions = { timeoutMs: 1500, retryDelaysMs: [1000, 5000], firstRoundWaitMs: 2000 };

// The resolver's types, where the back-channel tests have always found them.
export type { ResolvedAddress, Resolver } from '../http/outbound-request.js';

/** The waits of a delivery (attempt timeouts, retry delays, the first-round wait): tests drive them by hand. */
export interface Timers {
  /** Calls `fire` after `ms` unless the returned function is called first. Never holds a process open. */
  schedule(ms: number, fire: () => void): () => void;
}

export const systemTimers: Timers = {
  schedule(ms, fire) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface BackchannelDependencies {
  store: Store;
  clock: Clock;
  issuer: string;
  /** The key that signs right now (a getter, so a rotation between attempts is followed; the `idp` tool opens its keys only when needed). */
  signingKey: () => SigningKey | Promise<SigningKey>;
  logger?: Logger;
  /** config.allowPrivateClientUrls (whose default, read once in src/config.ts, follows the issuer). */
  allowPrivateAddresses: boolean;
  /**
   * config.registrationAllowPrivateUrls: a dynamically registered client's receiver may be on a private address
   * only when this and allowPrivateAddresses are both true. Absent: false.
   */
  registrationAllowPrivateAddresses?: boolean;
  resolve?: Resolver;
  timers?: Timers;
}

/**
 * Why a delivery failed, coarse on purpose: `timeout` (no answer within the attempt's time), `connection_failed`
 * (no connection or no HTTP answer: refused, unreachable, unknown name, TLS), `http_status` (an answer other
 * than 200 or 204, its status alongside), `refused_address` (a special-purpose address, not tried: not
 * retried either), `shutdown` (the server stopped during the attempt).
 */
export type FailureReason = 'timeout' | 'connection_failed' | 'http_status' | 'refused_address' | 'shutdown';

type Outcome = { delivered: true; status: number } | { delivered: false; reason: FailureReason; status?: number; abandonedAtShutdown?: boolean };

/** Resolves after `ms`, on `signal`, or on cancel(), which also drops the timer and the listener at once. */
function sleep(timers: Timers, ms: number, signal: AbortSignal): { done: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    let cancelTimer = () => {};
    const finish = () => {
      cancelTimer();
      signal.removeEventListener('abort', finish);
      resolve();
    };
    cancelTimer = timers.schedule(ms, finish);
    signal.addEventListener('abort', finish, { once: true });
    cancel = finish;
  });
  return { done, cancel };
}

/**
 * Whom a logout token is about: a session of a person (`sid` and `sub`), or every session of the person at the client
 * (`sid` null: `sub` only, Back-Channel Logout 1.0 §2.4). A SessionRecord is one.
 */
export interface LogoutSubject {
  userId: string;
  sid: string | null;
}

export class BackchannelLogout {
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly timers: Timers;

  constructor(
    private readonly deps: BackchannelDependencies,
    private readonly options: BackchannelOptions = DEFAULT_BACKCHANNEL_OPTIONS,
  ) {
    // Every waiting logout and retry listens here, and each removes its listener when it ends: many at once
    // (a busy server, a user with many sessions) is load, not the leak Node warns of after 10.
    setMaxListeners(0, this.stopping.signal);
    this.timers = deps.timers ?? systemTimers;
  }

  /**
   * Notifies the clients of an ended session (or, with `sid` null, of the person's every session with them).
   * Resolves once every client answered its first attempt or `firstRoundWaitMs` passed, whichever is first; never
   * rejects.
   */
  async notify(session: LogoutSubject, clients: ClientRecord[]): Promise<void> {
    const deliveries = clients.filter((client) => client.backchannelLogoutUri !== null).map((client) => this.track(this.deliver(session, client)));
    if (deliveries.length === 0) return;
    const firstRound = Promise.all(deliveries.map((delivery) => delivery.firstAttempt));
    const wait = sleep(this.timers, this.options.firstRoundWaitMs, this.stopping.signal);
    try {
      await Promise.race([firstRound, wait.done]);
    } finally {
      wait.cancel();
    }
  }

  /** Waits for every delivery still retrying (the `idp` tool does, before it exits). */
  async drain(): Promise<void> {
    if (this.pending.size === 0) return;
    // The retry timers are unref'd (a server must not be held open by them), and awaiting a promise holds
    // nothing: without this handle a process with nothing else to do would exit in the middle of the wait.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * Abandons retries still waiting (server shutdown). Resolves once every abandoned delivery is in the audit
   * log, so the store must be closed only after it.
   */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.drain();
  }

  private track(delivery: { firstAttempt: Promise<void>; done: Promise<void> }) {
    this.pending.add(delivery.done);
    void delivery.done.finally(() => this.pending.delete(delivery.done));
    return delivery;
  }

  private deliver(session: LogoutSubject, client: ClientRecord): { firstAttempt: Promise<void>; done: Promise<void> } {
    let firstAttemptDone!: () => void;
    const firstAttempt = new Promise<void>((resolve) => (firstAttemptDone = resolve));
    const done = (async () => {
      let outcome: Outcome = { delivered: false, reason: 'shutdown' };
      let attempts = 0;
      for (const delay of [0, ...this.options.retryDelaysMs]) {
        if (delay > 0) await sleep(this.timers, delay, this.stopping.signal).done;
        if (this.stopping.signal.aborted) break;
        attempts += 1;
        outcome = await this.attempt(session, client);
        if (attempts === 1) firstAttemptDone();
        // A refused address is refused again: asking once more would only probe the resolver.
        if (outcome.delivered || outcome.reason === 'refused_address') break;
      }
      firstAttemptDone();
      if (!outcome.delivered && this.stopping.signal.aborted && outcome.reason !== 'shutdown') {
        outcome = { ...outcome, abandonedAtShutdown: true };
      }
      await this.record(session, client, outcome, attempts);
    })().catch((error: unknown) => {
      firstAttemptDone();
      this.deps.logger?.error({ err: error, client: client.clientId }, 'back-channel logout failed unexpectedly');
    });
    return { firstAttempt, done };
  }

  private async attempt(session: LogoutSubject, client: ClientRecord): Promise<Outcome> {
    const logoutToken = await signLogoutToken(await this.deps.signingKey(), {
      issuer: this.deps.issuer,
      clientId: client.clientId,
      userId: session.userId,
      sid: session.sid,
      now: this.deps.clock.now(),
    });
    const timeout = new AbortController();
    const cancelTimeout = this.timers.schedule(this.options.timeoutMs, () => timeout.abort());
    try {
      const status = await this.post(client, new URLSearchParams({ logout_token: logoutToken }).toString(), AbortSignal.any([timeout.signal, this.stopping.signal]));
      // §2.8: 200 OK, though some frameworks answer 204 for an empty body.
      if (status === 200 || status === 204) return { delivered: true, status };
      return { delivered: false, reason: 'http_status', status };
    } catch (error) {
      if (this.stopping.signal.aborted) return { delivered: false, reason: 'shutdown' };
      if (timeout.signal.aborted) return { delivered: false, reason: 'timeout' };
      if (error instanceof RefusedAddressError) return { delivered: false, reason: 'refused_address' };
      return { delivered: false, reason: 'connection_failed' };
    } finally {
      cancelTimeout();
    }
  }

  /** The address rule for this client's receiver (see the head of this file). */
  private addressesFor(client: ClientRecord): OutboundAddressPolicy {
    const config = { allowPrivateClientUrls: this.deps.allowPrivateAddresses, registrationAllowPrivateUrls: this.deps.registrationAllowPrivateAddresses ?? false };
    return { allowPrivateAddresses: allowsPrivateAddresses(config, client), resolve: this.deps.resolve };
  }

  /** POSTs the form to the client's back-channel logout URI and resolves with the answer's status; the body is never read. */
  private post(client: ClientRecord, form: string, signal: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const uri = client.backchannelLogoutUri ?? '';
      const url = URL.canParse(uri) ? new URL(uri) : null;
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        reject(new Error('not an http(s) URL'));
        return;
      }
      // A refused address literal throws here; a name is checked by the connection's own `lookup`.
      let connection: ReturnType<typeof checkedConnection>;
      try {
        connection = checkedConnection(url, this.addressesFor(client));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const request = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(form) },
          // A connection of its own (agent: false), to an address just checked.
          ...connection,
          signal,
        },
        (response) => {
          // Only the status counts; a redirect is not followed (it would send the token where the client did
          // not register), and an endless body is not read.
          resolve(response.statusCode ?? 0);
          response.destroy();
        },
      );
      request.on('error', reject);
      request.end(form);
    });
  }

  private async record(session: LogoutSubject, client: ClientRecord, outcome: Outcome, attempts: number): Promise<void> {
    // A token about the person's every session names no sid (and the audit entry none either).
    const sid = session.sid === null ? {} : { sid: session.sid };
    const details = outcome.delivered
      ? { client_id: client.clientId, ...sid, attempts, status: outcome.status }
      : {
          client_id: client.clientId,
          ...sid,
          attempts,
          reason: outcome.reason,
          ...(outcome.status === undefined ? {} : { status: outcome.status }),
          ...(outcome.abandonedAtShutdown ? { abandoned_at_shutdown: true } : {}),
        };
    await this.deps.store.audit.append({
      at: this.deps.clock.now(),
      type: outcome.delivered ? 'logout.backchannel_delivered' : 'logout.backchannel_failed',
      actor: 'system',
      subject: session.userId,
      clientId: client.clientId,
      ip: null,
      outcome: outcome.delivered ? 'success' : 'failure',
      details,
    });
    if (!outcome.delivered) this.deps.logger?.warn(details, 'back-channel logout was not delivered');
  }
}
