// The attribute definitions (issue 21) as the token path and discovery read them: an administrator defines
// attributes rarely, while every authorization request, token response, userinfo call and discovery fetch needs
// the list, so one query per few seconds serves them all. The cache is per process and timed by the injected
// clock; a definition made by another process (the `idp` tool, another node) reaches this one within FRESH_MS.
// invalidate() lets a change made in this process show at once.
import type { Clock } from '../clock.js';
import type { AttributeDefinition } from '../store/records.js';
import type { Store } from '../store/store.js';

/** How long a loaded list is used before the store is asked again. */
export const FRESH_MS = 5000;

interface Loaded {
  definitions: readonly AttributeDefinition[];
  loadedAt: number;
}

export class ClaimCatalog {
  private loaded: Loaded | null = null;
  /** The load under way, shared by every caller that arrives meanwhile (one query, not one per request). */
  private loading: Promise<readonly AttributeDefinition[]> | null = null;
  /** Bumped by invalidate(), so that a load that started before it does not pass for fresh. */
  private generation = 0;

  constructor(
    private readonly store: Pick<Store, 'attributes'>,
    private readonly clock: Clock,
    private readonly freshMs: number = FRESH_MS,
  ) {}

  /** The definitions, in name order, at most `freshMs` old. */
  async definitions(): Promise<readonly AttributeDefinition[]> {
    const fresh = this.fresh();
    return fresh ?? this.load();
  }

  /**
   * The definitions last loaded, for a caller that cannot wait (discovery's node:http fast path): null before the
   * first load. A list older than `freshMs` is still returned, and a load is started so that the next caller has
   * a fresh one (a failure there keeps the old list; the next caller that waits sees the error).
   */
  peek(): readonly AttributeDefinition[] | null {
    if (this.loaded !== null && this.fresh() === null) this.load().catch(() => undefined);
    return this.loaded?.definitions ?? null;
  }

  /** The scopes the definitions release, each once, in name order of their first attribute. */
  async scopesSupported(): Promise<string[]> {
    return attributeScopes(await this.definitions());
  }

  /** The claims the definitions release. */
  async claimsSupported(): Promise<string[]> {
    return attributeClaims(await this.definitions());
  }

  /** Forgets the list: the next reader loads it again (after an attribute is defined, changed or deleted here). */
  invalidate(): void {
    this.generation += 1;
    this.loaded = null;
    this.loading = null;
  }

  /** The loaded list while it is younger than `freshMs`; null otherwise. */
  private fresh(): readonly AttributeDefinition[] | null {
    return this.loaded !== null && this.clock.now() - this.loaded.loadedAt < this.freshMs ? this.loaded.definitions : null;
  }

  private load(): Promise<readonly AttributeDefinition[]> {
    if (this.loading) return this.loading;
    const generation = this.generation;
    const loadedAt = this.clock.now();
    const loading = this.store.attributes.list().then(
      (definitions) => {
        // Frozen: every caller shares the one array.
        const frozen = Object.freeze([...definitions]);
        if (this.generation === generation) {
          this.loaded = { definitions: frozen, loadedAt };
          this.loading = null;
        }
        return frozen;
      },
      (error: unknown) => {
        if (this.generation === generation) this.loading = null;
        throw error;
      },
    );
    this.loading = loading;
    return loading;
  }
}

export function attributeScopes(definitions: readonly AttributeDefinition[]): string[] {
  return [...new Set(definitions.map((definition) => definition.scope))];
}

export function attributeClaims(definitions: readonly AttributeDefinition[]): string[] {
  return definitions.map((definition) => definition.claim);
}

/**
 * One catalog per store, so that the services (src/services.ts) and an app created without being handed one
 * (src/http/app.ts) share it, and invalidate() reaches both.
 */
const catalogs = new WeakMap<object, ClaimCatalog>();

export function claimCatalogOf(store: Pick<Store, 'attributes'>, clock: Clock): ClaimCatalog {
  let catalog = catalogs.get(store);
  if (!catalog) {
    catalog = new ClaimCatalog(store, clock);
    catalogs.set(store, catalog);
  }
  return catalog;
}
