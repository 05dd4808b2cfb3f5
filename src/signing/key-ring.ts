// The keys a running server uses: the one that signs, and the JWKS body, serialised once per key-set change.
// It follows the rotation schedule by itself: the computed view knows when its next transition is due, and is
// recomputed the first time the clock is past it, so keys activate and retire on time without a restart. Each
// time it sees a key superseded it stores the key's retirement, decided once (key-retirement.ts).
import { createHash } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { Clock } from '../clock.js';
import { KeyStoreError } from '../errors.js';
import { decideRetirements, undecidedRetirements } from './key-retirement.js';
import { computeSchedule, MAX_RETIREMENT_DELAY_MS, type Schedule } from './key-schedule.js';
import type { KeyStore, SigningKey } from './key-store.js';

/** Our own public keys as jose wants them, to verify what we signed (access tokens, id_token_hint). */
export type VerificationKeys = ReturnType<typeof createLocalJWKSet>;

export interface JwksDocument {
  body: Buffer;
  /** Strong validator of `body`, quoted as RFC 9110 §8.8.3 wants it. */
  etag: string;
}

interface KeySetView {
  schedule: Schedule<SigningKey>;
  jwks: JwksDocument;
  verificationKeys: VerificationKeys;
}

function serialiseJwks(keys: SigningKey[]): JwksDocument {
  const published = keys.map((key) => ({ kty: key.publicJwk.kty, kid: key.kid, use: 'sig', alg: key.alg, n: key.publicJwk.n, e: key.publicJwk.e }));
  const body = Buffer.from(JSON.stringify({ keys: published }));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

export class KeyRing {
  private view: KeySetView;

  private constructor(
    private readonly store: KeyStore,
    private readonly clock: Clock,
    private readonly retirementDelayMs: number,
    private keys: SigningKey[],
  ) {
    this.view = this.compute(null);
  }

  /**
   * `retirementDelayMs` (keyPolicy(config).retirementDelayMs) decides when the keys this ring sees superseded leave
   * the JWKS, stored for each once; the default, for the longest token lifetimes allowed, never retires a key too early.
   */
  static async open(store: KeyStore, clock: Clock, retirementDelayMs: number = MAX_RETIREMENT_DELAY_MS): Promise<KeyRing> {
    const now = clock.now();
    const ring = new KeyRing(store, clock, retirementDelayMs, await decideRetirements(store, await store.load(now), now, retirementDelayMs));
    // Refused at start rather than at the first token request.
    if (ring.schedule.signingKey === null) throw new KeyStoreError('no signing key is active: every key is pending, retired or revoked; run `idp keys rotate --now`');
    return ring;
  }

  /** The key that signs new tokens now. */
  private reloadsStarted = 0;
  private reloadApplied = 0;
  /** Set while following (follow()): where a reload started in the background reports its failure. */
  private onError: ((error: unknown) => void) | null = null;
  /** A reload started in the background to store the retirement of a key the clock has just superseded. */
  private deciding: Promise<void> | null = null;

  /** Where the keys live: the admin screens rotate and revoke through it, then reload(). */
  get keyStore(): KeyStore {
    return this.store;
  }

  get signingKey(): SigningKey {
    const key = this.current().schedule.signingKey;
    if (!key) throw new KeyStoreError('no signing key is active: every key is pending, retired or revoked; run `idp keys rotate --now`');
    return key;
  }

  get jwks(): JwksDocument {
    return this.current().jwks;
  }

  /** The published keys, for verifying tokens we issued. */
  get verificationKeys(): VerificationKeys {
    return this.current().verificationKeys;
  }

  /** Every key with its state now and its scheduled times. */
  get schedule(): Schedule<SigningKey> {
    return this.current().schedule;
  }

  /** Re-reads the store; on failure keeps serving the keys it has, so a half-written change never takes us down. */
  async reload(): Promise<void> {
    // Reloads overlap (a file-watch event and an admin's rotation): one that started earlier may finish later,
    // with what it read before the change. It must never replace what a later-started reload applied.
    const started = ++this.reloadsStarted;
    const now = this.clock.now();
    const keys = await decideRetirements(this.store, await this.store.load(now), now, this.retirementDelayMs);
    if (started < this.reloadApplied) return;
    this.reloadApplied = started;
    const previous = this.view;
    this.keys = keys;
    this.view = this.compute(previous);
  }

  /**
   * Adds a key published now that signs from `activatesAt`, and serves it at once (not after the watch fires);
   * unless a key is already scheduled (by another node, just now): null then, and the ring reloaded.
   */
  async scheduleKey(activatesAt: number): Promise<SigningKey | null> {
    const key = await this.store.rotateUnlessScheduled(this.clock.now(), activatesAt);
    await this.reload();
    return key;
  }

  /**
   * Follows changes another process makes, and stores the retirement of a key as soon as the clock supersedes it
   * (not at the next reload: a restart in between would decide it with the next configuration); returns a stop
   * function.
   */
  follow(onError: (error: unknown) => void): () => void {
    this.onError = onError;
    const stop = this.store.watch(() => {
      this.reload().catch(onError);
    });
    return () => {
      this.onError = null;
      stop();
    };
  }

  /** Resolves once the retirement decision started in the background (while following), if any, is stored or has failed. */
  async retirementsStored(): Promise<void> {
    await this.deciding;
  }

  private current(): KeySetView {
    if (this.clock.now() >= this.view.schedule.nextChangeAt) {
      this.view = this.compute(this.view);
      // Until it is stored the view already retires the key as this ring decides (supersession + its own delay).
      if (this.onError && !this.deciding && undecidedRetirements(this.view.schedule).length > 0) this.decideInBackground();
    }
    return this.view;
  }

  private decideInBackground(): void {
    this.deciding = this.reload()
      // Stopped following meanwhile (shutting down, the store closing): nobody to tell; the next start decides.
      .catch((error: unknown) => this.onError?.(error))
      .finally(() => {
        this.deciding = null;
      });
  }

  private compute(previous: KeySetView | null): KeySetView {
    const schedule = computeSchedule(this.keys, this.clock.now(), this.retirementDelayMs);
    const jwks = serialiseJwks(schedule.published);
    // An activation changes which key signs but not the key set: same body, same ETag, same jose key set.
    if (previous && previous.jwks.etag === jwks.etag) return { schedule, jwks: previous.jwks, verificationKeys: previous.verificationKeys };
    const verificationKeys = createLocalJWKSet(JSON.parse(jwks.body.toString('utf8')) as JSONWebKeySet);
    return { schedule, jwks, verificationKeys };
  }
}
