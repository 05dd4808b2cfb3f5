// instrumentStore: the store as the server uses it, each repository method timed
// (gatehouse_store_operation_duration_seconds{operation="users.findByEmail"}), and the audit log tapped for the
// counters whose events it already records (sign-ins, refresh token reuse): counted where the fact is written,
// once, instead of a second call beside every audit call. A Proxy, so that the engines stay unaware of metrics.
import type { NewAuditEvent } from '../store/records.js';
import type { Store } from '../store/store.js';
import { countAuditEvent } from './audit-tap.js';
import { metrics, secondsSince } from './metrics.js';

type RepositoryName = Exclude<keyof Store, 'ping' | 'close'>;

/**
 * Every repository of the Store interface, by name: a repository added to Store without being added here is a
 * compile error, so none goes untimed. Only these are wrapped; any other property an engine has passes through.
 */
const REPOSITORIES: Record<RepositoryName, true> = {
  users: true,
  clients: true,
  groups: true,
  attributes: true,
  apis: true,
  deviceCodes: true,
  clientAssertions: true,
  pushedRequests: true,
  usedJtis: true,
  identityProviders: true,
  federatedIdentities: true,
  federationStates: true,
  consents: true,
  registrationTokens: true,
  branding: true,
  signingKeys: true,
  sessions: true,
  codes: true,
  refreshTokens: true,
  authorizationRequests: true,
  accessTokens: true,
  audit: true,
  throttle: true,
  accountTokens: true,
  totp: true,
  recoveryCodes: true,
  passkeys: true,
  signInChallenges: true,
  issuance: true,
  transfer: true,
  adminTokens: true,
  webhooks: true,
  deliveries: true,
  clientSightings: true,
};

const isRepository = (name: string | symbol): name is RepositoryName => typeof name === 'string' && Object.hasOwn(REPOSITORIES, name);

/** Marks a store already instrumented, so that instrumenting twice does not time every call twice. */
const INSTRUMENTED = Symbol('gatehouse.instrumented');

/** `result`, timed as `operation` once it settles (a plain value at once). */
function timed<T>(operation: string, started: number, result: T): T {
  if (result instanceof Promise) {
    // The caller gets the original promise; this observer only watches it, and swallows nothing it is given.
    result.then(
      () => metrics.storeOperation(operation, secondsSince(started)),
      () => metrics.storeOperation(operation, secondsSince(started)),
    );
  } else {
    metrics.storeOperation(operation, secondsSince(started));
  }
  return result;
}

function instrumentRepository<R extends object>(name: string, repository: R): R {
  // Keyed by the method itself, not its name: a method replaced on the repository (a test's interposer, an engine
  // swapping one at run time) is timed as it is now, never by a wrapper of the one it replaced.
  const wrappers = new WeakMap<(...args: unknown[]) => unknown, unknown>();
  return new Proxy(repository, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => unknown;
      let wrapper = wrappers.get(method);
      if (!wrapper) {
        const operation = `${name}.${property}`;
        const tap = name === 'audit' && property === 'append';
        wrapper = (...args: unknown[]) => {
          const started = performance.now();
          // Called on the repository itself: engines keep private fields that a proxy as `this` would not have.
          const result = timed(operation, started, method.apply(target, args));
          // Counted once the event is stored: an append that failed records nothing, so it counts nothing.
          if (tap && result instanceof Promise)
            result.then(
              () => countAuditEvent(args[0] as NewAuditEvent),
              () => undefined,
            );
          return result;
        };
        wrappers.set(method, wrapper);
      }
      return wrapper;
    },
  });
}

/** The store with every repository method timed and the audit log tapped (src/services.ts openServices). */
export function instrumentStore(store: Store): Store {
  if ((store as unknown as Record<symbol, unknown>)[INSTRUMENTED]) return store;
  const repositories = new Map<RepositoryName, unknown>();
  return new Proxy(store, {
    get(target, property) {
      if (property === INSTRUMENTED) return true;
      const value: unknown = Reflect.get(target, property, target);
      if (isRepository(property) && typeof value === 'object' && value !== null) {
        let wrapped = repositories.get(property);
        if (!wrapped) repositories.set(property, (wrapped = instrumentRepository(property, value)));
        return wrapped;
      }
      if (property === 'ping' && typeof value === 'function') {
        const ping = value as () => Promise<void>;
        return () => timed('store.ping', performance.now(), ping.call(target));
      }
      // Everything else (close, an engine's own members) bound to the store itself, for the same reason as above.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
