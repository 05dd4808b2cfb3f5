// The keys a running server uses: the one that signs, and the JWKS body, serialised once per key-set change.
// It follows the rotation schedule by itself: the computed view knows when its next transition is due, and is
// recomputed the first time the clock is past it, so keys activate and retire on time without a restart.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { Clock } from '../clock.js';
import { KeyStoreError } from '../errors.js';
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
   * `retirementDelayMs` (keyPolicy(config).retirementDelayMs) decides when superseded keys leave the JWKS; the
   * default, for the longest token lifetimes allowed, never retires a key too early.
   */
  static async open(store: KeyStore, clock: Clock, retirementDelayMs: number = MAX_RETIREMENT_DELAY_MS): Promise<KeyRing> {
    const ring = new KeyRing(store, clock, retirementDelayMs, await store.load(clock.now()));
    // Refused at start rather than at the first token request.
    if (ring.schedule.signingKey === null) throw new KeyStoreError('no signing key is active: every key is pending, retired or revoked; run `idp keys rotate --now`');
    return ring;
  }

  /** The key that signs new tokens now. */
  private reloadsStarted = 0;
  private reloadApplied = 0;

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
    const keys = await this.store.load(this.clock.now());
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

  /** Follows changes another process makes; returns a stop function. */
  follow(onError: (error: unknown) => void): () => void {
    return this.store.watch(() => {
      this.reload().catch(onError);
    });
  }

  private current(): KeySetView {
    if (this.clock.now() >= this.view.schedule.nextChangeAt) this.view = this.compute(this.view);
    return this.view;
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
