// What relying applications do with the signing keys, recorded as they do it (issue 26, key rotation readiness):
// where each confidential client authenticates from (address and User-Agent), and JWKS fetches from those same
// places. Best effort by design: a JWKS fetched through another egress than the token requests, or by a shared
// cache or CDN, is not attributed to anyone.
//
// The recorder sits on hot paths (the token endpoint, the JWKS fast path), so it never delays or fails a
// response: each observation is debounced in memory (a client at an origin is written at most once every five
// minutes, an origin's JWKS fetch once a minute unless the key set changed) and queued for one write at a time
// in the background; a failed write is logged and forgotten. One queue per process keeps this process's writes
// in the order they were observed, so a token request's sighting lands before the JWKS fetch that follows it.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

/** One write per client, address and User-Agent per five minutes: the active-client window is 30 days. */
export const SAW_DEBOUNCE_MS = 5 * 60 * 1000;
/** One write per address and User-Agent per minute for JWKS fetches of the same key set. */
export const JWKS_DEBOUNCE_MS = 60 * 1000;
/** Longer User-Agents are cut (the column is part of a key); a missing one is ''. */
export const USER_AGENT_MAX_LENGTH = 256;
/** An address is an IP address; anything longer is not one worth keeping whole. */
const ADDRESS_MAX_LENGTH = 64;
/** Origins remembered per map: a flood of made-up User-Agents evicts old entries instead of growing memory. */
const REMEMBERED_MAX = 10_000;
/** Writes waiting for the store; more are dropped (and counted in the log) rather than queued without end. */
const QUEUE_MAX = 500;
const DROP_LOG_EVERY_MS = 60 * 1000;

export interface ClientSightingsDependencies {
  store: Pick<Store, 'clientSightings'>;
  clock: Clock;
  logger: Logger;
}

interface JwksOrigin {
  /** When this origin's JWKS fetch was last written, and for which key set. */
  writtenAt: number;
  etag: string;
  /** The last fetch seen from there, written or not. */
  fetchedAt: number;
}

/** A Map used as a bounded least-recently-set cache: setting moves the key last, and the oldest goes first. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > REMEMBERED_MAX) map.delete(map.keys().next().value as string);
}

export function userAgentOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
  return value.slice(0, USER_AGENT_MAX_LENGTH);
}

export class ClientSightings {
  private readonly seen = new Map<string, number>();
  private readonly jwks = new Map<string, JwksOrigin>();
  private readonly queue: (() => Promise<unknown>)[] = [];
  private running: Promise<void> | null = null;
  private dropped = 0;
  private droppedLoggedAt = -Infinity;

  constructor(private readonly deps: ClientSightingsDependencies) {}

  /**
   * A confidential client authenticated (src/oidc/client-auth.ts). Public clients are not tracked: anyone may
   * present their client id, so a sighting would prove nothing.
   */
  saw(clientId: string, address: string | undefined, userAgent: string | string[] | undefined): void {
    const now = this.deps.clock.now();
    const origin = originOf(address, userAgent);
    // A request whose socket is already gone has no address: nothing to attribute.
    if (!origin.address) return;
    const key = `${clientId}\n${origin.address}\n${origin.userAgent}`;
    const last = this.seen.get(key);
    if (last !== undefined && now - last < SAW_DEBOUNCE_MS) return;
    remember(this.seen, key, now);
    this.enqueue(() => this.deps.store.clientSightings.saw(clientId, origin.address, origin.userAgent, now));
    // A JWKS fetch this process saw from there before the client's first sighting (an application that loads
    // the key set at start, then signs people in): attributed now that there is a row to mark.
    const fetched = last === undefined ? this.jwks.get(`${origin.address}\n${origin.userAgent}`) : undefined;
    if (fetched) this.enqueue(() => this.deps.store.clientSightings.jwksFetched(origin.address, origin.userAgent, fetched.fetchedAt));
  }

  /**
   * The JWKS was served (200) or revalidated (304: the cached copy is the current key set, `etag`) to a GET
   * from this address and User-Agent (src/http/public-documents.ts, src/oidc/jwks.ts).
   */
  jwksFetched(address: string | undefined, userAgent: string | string[] | undefined, etag: string): void {
    const now = this.deps.clock.now();
    const origin = originOf(address, userAgent);
    if (!origin.address) return;
    const key = `${origin.address}\n${origin.userAgent}`;
    const last = this.jwks.get(key);
    // The first fetch after the key set changed is always written: it is the one readiness waits for.
    const write = !last || last.etag !== etag || now - last.writtenAt >= JWKS_DEBOUNCE_MS;
    remember(this.jwks, key, { writtenAt: last && !write ? last.writtenAt : now, etag, fetchedAt: now });
    if (write) this.enqueue(() => this.deps.store.clientSightings.jwksFetched(origin.address, origin.userAgent, now));
  }

  /** Resolves once every write queued so far has been made or has failed (tests; closing the app). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private enqueue(write: () => Promise<unknown>): void {
    if (this.queue.length >= QUEUE_MAX) {
      this.dropped++;
      const now = this.deps.clock.now();
      if (now - this.droppedLoggedAt >= DROP_LOG_EVERY_MS) {
        this.droppedLoggedAt = now;
        this.deps.logger.warn({ dropped: this.dropped }, 'client sightings: the store is behind; dropped observations (key rotation readiness is best effort)');
      }
      return;
    }
    this.queue.push(write);
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    // Bounded: the queue holds at most QUEUE_MAX writes, and each is taken once.
    for (let write = this.queue.shift(); write; write = this.queue.shift()) {
      try {
        await write();
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'client sightings: a write failed (key rotation readiness is best effort)');
      }
    }
    this.running = null;
  }
}

function originOf(address: string | undefined, userAgent: string | string[] | undefined): { address: string; userAgent: string } {
  return { address: (address ?? '').slice(0, ADDRESS_MAX_LENGTH), userAgent: userAgentOf(userAgent) };
}
