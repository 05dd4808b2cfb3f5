// The public keys of a private_key_jwt client (RFC 7523 §2.2, OIDC Core §9 and §10.1.1): its inline JWKS, or the
// JWKS it publishes at its jwks_uri, fetched here. That URI is an administrator's choice and this server requests
// it itself, so the request is kept small and short: https only (http on a loopback host, for development), no
// redirects (a redirect could lead anywhere), a 5 s timeout that covers the body too, at most 64 KiB read from the
// body stream whatever Content-Length says, and a JSON content type. And, as for the back-channel logout POST,
// outside development (ALLOW_PRIVATE_CLIENT_URLS) no request goes to a private, loopback, link-local or other
// special-purpose address, however the name resolves at that moment (server-side request forgery, CWE-918, ASVS
// V12.6.1; src/http/outbound-request.ts): hence node:http's request with its checked `lookup` rather than fetch,
// whose connections cannot be given one. Such a refusal is logged as `refused_address`. A set is kept 5 minutes
// per client and URI; a `kid` it does not hold makes it fetched again at once (the client rotated its key, OIDC
// Core §10.1.1), but at most once per 30 s per client, so that assertions naming made-up kids cannot turn us into
// a stream of requests to the client's host. A client registered by anyone through POST /register (issue 24, origin
// 'dynamic') reaches a special-purpose address only when REGISTRATION_ALLOW_PRIVATE_URLS allows it too
// (allowsPrivateAddresses): its jwks_uri is a stranger's choice.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock.js';
import { isLoopbackHostname, type Config } from '../config.js';
import { BoundedGetFailed, boundedGet } from '../http/bounded-get.js';
import { allowsPrivateAddresses, type Resolver } from '../http/outbound-request.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

export interface JwksFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** config.allowPrivateClientUrls: whether the jwks_uri may be on a special-purpose address (development). */
  allowPrivateAddresses: boolean;
  /** Name resolution; the system's when absent (tests inject one). */
  resolve?: Resolver;
}

export interface ClientKeysOptions extends JwksFetchOptions {
  /**
   * config.registrationAllowPrivateUrls: whether a dynamically registered client's jwks_uri may be on a
   * special-purpose address as well (allowsPrivateAddresses; never without `allowPrivateAddresses`). Absent: not.
   */
  registrationAllowPrivateUrls?: boolean;
  /** How long a fetched set is used before it is fetched again. */
  cacheMs: number;
  /** The least time between two fetches caused by an unknown kid, per client. */
  refetchIntervalMs: number;
  /** How long a failed fetch is remembered: meanwhile the client's assertions are refused without a request. */
  failureBackoffMs: number;
  /** Sets kept at most (the least recently used goes first): one per private_key_jwt client with a jwks_uri. */
  maxEntries: number;
}

export const DEFAULT_CLIENT_KEYS_OPTIONS: ClientKeysOptions = {
  timeoutMs: 5_000,
  maxBytes: 64 * 1024,
  cacheMs: 5 * 60_000,
  refetchIntervalMs: 30_000,
  failureBackoffMs: 10_000,
  maxEntries: 1_000,
  // Refused unless the configuration says otherwise (clientKeysOf): a caller that forgot it fails closed.
  allowPrivateAddresses: false,
};

/** The client's JWKS could not be had: the request failed, or its answer is not a JWKS. The message is for the log. */
export class JwksUnavailable extends Error {}

// RFC 7517 §8.5: application/jwk-set+json; plain application/json is what most servers send.
const JSON_CONTENT_TYPE = /^application\/(?:jwk-set\+)?json\s*(?:;|$)/i;

/** https, or http on a loopback host (as for redirect URIs, src/manage/redirect-uris.ts). */
function checkedUrl(uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new JwksUnavailable('jwks_uri is not an absolute URL');
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHostname(url.hostname)) return url;
  throw new JwksUnavailable('jwks_uri must use https (http only on a loopback host)');
}

/** The GET of the jwks_uri (src/http/bounded-get.ts), its body as text; any failure is JwksUnavailable. */
async function getJson(url: URL, options: JwksFetchOptions): Promise<string> {
  try {
    const body = await boundedGet(url, {
      ...options,
      accept: 'application/jwk-set+json, application/json',
      subject: 'jwks_uri',
      tooLarge: `the JWKS is larger than ${options.maxBytes} bytes`,
      refuse: (response) => (JSON_CONTENT_TYPE.test(response.headers['content-type'] ?? '') ? null : 'jwks_uri did not answer with JSON'),
    });
    return body.toString('utf8');
  } catch (error) {
    throw error instanceof BoundedGetFailed ? new JwksUnavailable(error.message) : error;
  }
}

/** Fetches a JWKS; any failure is JwksUnavailable with a short reason (never the network's full error text). */
export async function fetchJwks(uri: string, options: JwksFetchOptions): Promise<JSONWebKeySet> {
  const text = await getJson(checkedUrl(uri), options);
  let jwks: unknown;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new JwksUnavailable('the jwks_uri answer is not JSON');
  }
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    throw new JwksUnavailable('the jwks_uri answer is not a JWKS');
  }
  return jwks as JSONWebKeySet;
}

/** A key resolver over a set; JwksUnavailable when the set itself is malformed. */
function localSet(jwks: JSONWebKeySet): JWTVerifyGetKey {
  try {
    return createLocalJWKSet(jwks);
  } catch {
    throw new JwksUnavailable('the JWKS is malformed');
  }
}

interface Entry {
  resolver: JWTVerifyGetKey;
  fetchedAt: number;
}

interface Slot {
  entry: Entry | null;
  /** The fetch under way, shared by the requests that need it. */
  pending: Promise<Entry> | null;
  /** When an unknown kid last caused a fetch; null if none did. */
  refetchedAt: number | null;
  /** The last fetch's failure, while it is remembered. */
  failure: { at: number; error: JwksUnavailable } | null;
}

/** The keys of private_key_jwt clients, with the jwks_uri sets cached (one instance per app, per store). */
export class ClientKeys {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly clock: Clock,
    private readonly options: ClientKeysOptions = DEFAULT_CLIENT_KEYS_OPTIONS,
    private readonly fetchSet: (uri: string, options: JwksFetchOptions) => Promise<JSONWebKeySet> = fetchJwks,
  ) {}

  /**
   * The key resolver for jwtVerify of this client's assertions. Throws (or its promise rejects with)
   * JwksUnavailable when the client has no usable set; jose's JWKSNoMatchingKey when no key of the set fits.
   */
  resolverFor(client: ClientRecord): JWTVerifyGetKey {
    if (client.jwks !== null) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(client.jwks);
      } catch {
        throw new JwksUnavailable('the registered JWKS is not JSON');
      }
      return localSet(parsed as JSONWebKeySet);
    }
    const uri = client.jwksUri;
    if (uri === null) throw new JwksUnavailable('the client has registered no keys');
    // The address rule of this client: an administrator's, or a stranger's (origin 'dynamic').
    const fetchOptions: JwksFetchOptions = {
      ...this.options,
      allowPrivateAddresses: allowsPrivateAddresses(
        { allowPrivateClientUrls: this.options.allowPrivateAddresses, registrationAllowPrivateUrls: this.options.registrationAllowPrivateUrls ?? false },
        client,
      ),
    };
    return async (header, token) => {
      const slot = this.slot(`${client.clientId}\n${uri}`);
      const now = this.clock.now();
      let entry = slot.entry;
      let fresh = false;
      if (entry === null || now - entry.fetchedAt >= this.options.cacheMs) {
        entry = await this.fetchInto(slot, uri, fetchOptions);
        fresh = true;
      }
      try {
        return await entry.resolver(header, token);
      } catch (error) {
        // A kid we do not know (or no key of the algorithm): the client may have rotated. A set fetched for this
        // very request is not fetched again, and an unknown kid causes at most one fetch per interval.
        if (!(error instanceof errors.JWKSNoMatchingKey) || fresh) throw error;
        if (slot.refetchedAt !== null && now - slot.refetchedAt < this.options.refetchIntervalMs) throw error;
        slot.refetchedAt = now;
        entry = await this.fetchInto(slot, uri, fetchOptions);
        return entry.resolver(header, token);
      }
    };
  }

  private slot(key: string): Slot {
    let slot = this.slots.get(key);
    if (slot) {
      // Most recently used last, so that the first key is the one to drop.
      this.slots.delete(key);
    } else {
      slot = { entry: null, pending: null, refetchedAt: null, failure: null };
      while (this.slots.size >= this.options.maxEntries) {
        const oldest = this.slots.keys().next().value as string;
        this.slots.delete(oldest);
      }
    }
    this.slots.set(key, slot);
    return slot;
  }

  private fetchInto(slot: Slot, uri: string, options: JwksFetchOptions): Promise<Entry> {
    // A host that just failed is not asked again at once: a client whose JWKS is down cannot, by retrying (or a
    // stranger, by naming it), make every request wait for another timeout.
    const { failure } = slot;
    if (failure !== null && this.clock.now() - failure.at < this.options.failureBackoffMs) return Promise.reject(failure.error);
    if (slot.pending === null) {
      const pending = this.load(slot, uri, options);
      slot.pending = pending;
      // Cleared once settled (also when the fetch failed at once), so that the next request may fetch again.
      pending.then(
        () => (slot.pending = null),
        () => (slot.pending = null),
      );
    }
    return slot.pending;
  }

  private async load(slot: Slot, uri: string, options: JwksFetchOptions): Promise<Entry> {
    try {
      const jwks = await this.fetchSet(uri, options);
      const entry = { resolver: localSet(jwks), fetchedAt: this.clock.now() };
      slot.entry = entry;
      slot.failure = null;
      return entry;
    } catch (error) {
      const unavailable = error instanceof JwksUnavailable ? error : new JwksUnavailable('the JWKS could not be read');
      slot.failure = { at: this.clock.now(), error: unavailable };
      throw unavailable;
    }
  }
}

const perStore = new WeakMap<Store, ClientKeys>();

/**
 * The app's ClientKeys: one per store, so that every endpoint of one app shares the cache (and tests' apps do not).
 * `config.allowPrivateClientUrls` decides whether a jwks_uri may be on a special-purpose address, and for a
 * dynamically registered client `config.registrationAllowPrivateUrls` too (allowsPrivateAddresses); without a config
 * (or without the second setting) it may not (fail closed). The first call for a store decides (one config per app).
 */
export function clientKeysOf(store: Store, clock: Clock, config?: Pick<Config, 'allowPrivateClientUrls'> & Partial<Pick<Config, 'registrationAllowPrivateUrls'>>): ClientKeys {
  let keys = perStore.get(store);
  if (!keys) {
    keys = new ClientKeys(clock, {
      ...DEFAULT_CLIENT_KEYS_OPTIONS,
      allowPrivateAddresses: config?.allowPrivateClientUrls ?? false,
      registrationAllowPrivateUrls: config?.registrationAllowPrivateUrls ?? false,
    });
    perStore.set(store, keys);
  }
  return keys;
}
