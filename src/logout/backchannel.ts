// Back-Channel Logout 1.0 §2.5: POSTs a logout token to each client that received tokens in an ended
// session. Every attempt has a short timeout and the attempts are few and spaced out; the person's logout
// waits only for the first round, never longer than FIRST_ROUND_WAIT_MS, and retries go on in the background.
import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { SigningKey } from '../signing/key-store.js';
import type { ClientRecord, SessionRecord } from '../store/records.js';
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

export interface BackchannelDependencies {
  store: Store;
  clock: Clock;
  issuer: string;
  /** The key that signs right now (a getter, so a rotation between attempts is followed; the `idp` tool opens its keys only when needed). */
  signingKey: () => SigningKey | Promise<SigningKey>;
  logger?: Logger;
}

type Outcome = { delivered: true; status: number } | { delivered: false; reason: string };

const SHUTDOWN = 'interrupted by shutdown';

/** Resolves after `ms`, on `signal`, or on cancel(), which also drops the timer and the listener at once. */
function sleep(ms: number, signal: AbortSignal): { done: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(finish, ms);
    timer.unref();
    signal.addEventListener('abort', finish, { once: true });
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    }
    cancel = finish;
  });
  return { done, cancel };
}

export class BackchannelLogout {
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly deps: BackchannelDependencies, private readonly options: BackchannelOptions = DEFAULT_BACKCHANNEL_OPTIONS) {
    // Every waiting logout and retry listens here, and each removes its listener when it ends: many at once
    // (a busy server, a user with many sessions) is load, not the leak Node warns of after 10.
    setMaxListeners(0, this.stopping.signal);
  }

  /**
   * Notifies the clients of an ended session. Resolves once every client answered its first attempt or
   * `firstRoundWaitMs` passed, whichever is first; never rejects.
   */
  async notify(session: SessionRecord, clients: ClientRecord[]): Promise<void> {
    const deliveries = clients
      .filter((client) => client.backchannelLogoutUri !== null)
      .map((client) => this.track(this.deliver(session, client)));
    if (deliveries.length === 0) return;
    const firstRound = Promise.all(deliveries.map((delivery) => delivery.firstAttempt));
    const wait = sleep(this.options.firstRoundWaitMs, this.stopping.signal);
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

  private deliver(session: SessionRecord, client: ClientRecord): { firstAttempt: Promise<void>; done: Promise<void> } {
    let firstAttemptDone!: () => void;
    const firstAttempt = new Promise<void>((resolve) => (firstAttemptDone = resolve));
    const done = (async () => {
      let outcome: Outcome = { delivered: false, reason: 'not attempted' };
      let attempts = 0;
      for (const delay of [0, ...this.options.retryDelaysMs]) {
        if (delay > 0) await sleep(delay, this.stopping.signal).done;
        if (this.stopping.signal.aborted) break;
        attempts += 1;
        outcome = await this.attempt(session, client);
        if (attempts === 1) firstAttemptDone();
        if (outcome.delivered) break;
      }
      firstAttemptDone();
      if (!outcome.delivered && this.stopping.signal.aborted && outcome.reason !== SHUTDOWN) {
        outcome = { delivered: false, reason: `${outcome.reason}; retries abandoned at shutdown` };
      }
      await this.record(session, client, outcome, attempts);
    })().catch((error: unknown) => {
      firstAttemptDone();
      this.deps.logger?.error({ err: error, client: client.clientId }, 'back-channel logout failed unexpectedly');
    });
    return { firstAttempt, done };
  }

  private async attempt(session: SessionRecord, client: ClientRecord): Promise<Outcome> {
    const logoutToken = await signLogoutToken(await this.deps.signingKey(), {
      issuer: this.deps.issuer,
      clientId: client.clientId,
      userId: session.userId,
      sid: session.sid,
      now: this.deps.clock.now(),
    });
    try {
      const response = await fetch(client.backchannelLogoutUri ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
        body: new URLSearchParams({ logout_token: logoutToken }).toString(),
        // A redirect would send the token somewhere the client did not register.
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.stopping.signal]),
      });
      await response.body?.cancel();
      // §2.8: 200 OK, though some frameworks answer 204 for an empty body.
      if (response.status === 200 || response.status === 204) return { delivered: true, status: response.status };
      return { delivered: false, reason: `HTTP ${response.status}` };
    } catch (error) {
      const name = (error as Error).name;
      if (this.stopping.signal.aborted) return { delivered: false, reason: SHUTDOWN };
      return { delivered: false, reason: name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (error as Error).message };
    }
  }

  private async record(session: SessionRecord, client: ClientRecord, outcome: Outcome, attempts: number): Promise<void> {
    const details = outcome.delivered
      ? { client_id: client.clientId, sid: session.sid, attempts, status: outcome.status }
      : { client_id: client.clientId, sid: session.sid, attempts, reason: outcome.reason };
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
