// THE INVARIANT of key rotation: a relying party that caches the JWKS no longer than its Cache-Control max-age
// never receives a token whose key it does not have, and still verifies every token it holds until it expires.
// A real app over HTTP, a simulated clock stepped across several automatic rotations, and real ID tokens.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateIfDue } from '../../src/signing/auto-rotation.js';
import { keyPolicy } from '../../src/signing/key-schedule.js';
import { signJwt } from '../../src/tokens/sign-jwt.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { refresh, tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const SECOND = 1000;
const STEP = 5 * SECOND;
/** Three automatic rotations, at 600, 1200 and 1800 s (the first key activates at the start), and a little more. */
const DURATION = 1900 * SECOND;
const ENV = {
  JWKS_MAX_AGE: '60',
  KEY_PREPUBLISH: '120',
  KEY_ROTATION_INTERVAL: '600',
  ID_TOKEN_TTL: '120',
  ACCESS_TOKEN_TTL: '60',
  // Hundreds of token requests: durability against power loss is not what this test is about.
  SQLITE_SYNCHRONOUS: 'NORMAL',
};
/** The relying parties accept a token this long after its exp, as the retirement delay allows for. */
const CLOCK_SKEW = 60;
const PUBLIC_MEMBERS = ['alg', 'e', 'kid', 'kty', 'n', 'use'];

interface Held {
  token: string;
  kid: string;
  lastAcceptedAt: number;
}

/** A relying party that keeps the JWKS exactly as long as Cache-Control allows, and no longer. */
class RelyingParty {
  private keys: JSONWebKeySet | null = null;
  private keySet: ReturnType<typeof createLocalJWKSet> | null = null;
  private fetchedAt = 0;
  private maxAge = 0;
  private etag: string | null = null;
  readonly held: Held[] = [];
  fetches = 0;

  constructor(
    readonly name: string,
    /** Joins (first fetch) this long after the start: each party's cache expires at another moment. */
    readonly phase: number,
    /** Revalidates with If-None-Match instead of fetching the whole body again. */
    private readonly conditional: boolean,
  ) {}

  async refreshIfStale(jwksUri: string, now: number): Promise<void> {
    if (this.keys && now - this.fetchedAt <= this.maxAge * SECOND) return;
    const headers: Record<string, string> = this.conditional && this.etag ? { 'If-None-Match': this.etag } : {};
    const response = await fetch(jwksUri, { headers });
    this.fetches++;
    const maxAge = /max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1];
    expect(maxAge, 'Cache-Control max-age').toBeDefined();
    this.maxAge = Number(maxAge);
    this.fetchedAt = now;
    if (response.status === 304) return;
    expect(response.status).toBe(200);
    this.etag = response.headers.get('etag');
    this.keys = (await response.json()) as JSONWebKeySet;
    this.keySet = createLocalJWKSet(this.keys);
  }

  kids(): string[] {
    return (this.keys?.keys ?? []).map((key) => key.kid ?? '');
  }

  /** Verifies as a careful relying party: the kid must be in the cached set, the signature and claims valid. */
  async verify(token: string, now: number, issuer: string, audience: string): Promise<string | null> {
    const { kid } = decodeProtectedHeader(token);
    if (!this.kids().includes(kid ?? '')) return `${this.name}: kid ${kid} not in its cached JWKS [${this.kids().join(', ')}]`;
    try {
      await jwtVerify(token, this.keySet as ReturnType<typeof createLocalJWKSet>, { issuer, audience, currentDate: new Date(now), clockTolerance: CLOCK_SKEW, algorithms: ['RS256'] });
      return null;
    } catch (error) {
      return `${this.name}: ${(error as Error).message}`;
    }
  }
}

describe('signing-key rotation never breaks a relying party (simulated clock, real app over HTTP)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  const start = clock.now();
  let app: RunningApp;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp({ env: ENV, clock });
    await addUser(app);
    client = await addClient(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('keeps every relying party verifying across automatic rotations, and retires the old keys', async () => {
    const policy = keyPolicy(app.config);
    const jwksUri = `${app.config.issuer}/jwks`;
    const browser = new Browser();
    const parties = [new RelyingParty('rp-a', 0, false), new RelyingParty('rp-b', 15 * SECOND, true), new RelyingParty('rp-c', 35 * SECOND, false), new RelyingParty('rp-d', 55 * SECOND, true)];
    const failures: string[] = [];
    const firstPublished = new Map<string, number>();
    const firstSigned = new Map<string, number>();
    const lastSigned = new Map<string, number>();
    const unpublished = new Map<string, number>();
    let rotations = 0;
    let codeFlows = 0;
    let refreshToken = (await tokensFor(app, client, browser, 'openid email')).refresh_token;
    let realTokens = 0;
    /** Held tokens checked at the last step they may be accepted: the half of the invariant about old tokens. */
    let lateChecks = 0;
    const lateCheckedKids = new Set<string>();

    /**
     * Real ID tokens from the token endpoint at every other step: by the refresh grant, and every 20th step by a
     * whole (single sign-on) code flow. In between, for speed, an ID token signed directly with the key the token
     * endpoint would use at that moment.
     */
    async function issueIdToken(step: number): Promise<string> {
      if (step % 2 === 1) {
        const iat = Math.floor(clock.now() / SECOND);
        return signJwt(app.keyRing.signingKey, { iss: app.config.issuer, aud: client.clientId, sub: 'user', iat, exp: iat + app.config.lifetimes.idToken });
      }
      let issued: Record<string, string>;
      if (step % 20 === 10) {
        codeFlows++;
        issued = { ...(await tokensFor(app, client, browser, 'openid email')) };
      } else {
        issued = (await refresh(app, client, refreshToken)).json;
      }
      expect(issued.id_token, JSON.stringify(issued)).toEqual(expect.any(String));
      refreshToken = issued.refresh_token ?? refreshToken;
      expect(decodeProtectedHeader(issued.access_token ?? '').kid).toBe(decodeProtectedHeader(issued.id_token ?? '').kid);
      realTokens++;
      return issued.id_token ?? '';
    }

    for (let step = 0; clock.now() - start <= DURATION; step++, clock.advance(STEP)) {
      const now = clock.now();
      // The server's periodic check, on a period shorter than KEY_PREPUBLISH as startAutoRotation's default.
      if (step % 2 === 0 && (await rotateIfDue({ keyRing: app.keyRing, store: app.store, clock, policy }))) rotations++;

      const observed = await fetch(jwksUri);
      expect(observed.headers.get('cache-control')).toBe('public, max-age=60');
      const { keys } = (await observed.json()) as { keys: Record<string, unknown>[] };
      expect(keys.length, 'the JWKS is never empty').toBeGreaterThan(0);
      for (const key of keys) {
        expect(Object.keys(key).sort(), 'a JWKS key has only public members').toEqual(PUBLIC_MEMBERS);
        if (!firstPublished.has(String(key.kid))) firstPublished.set(String(key.kid), now);
      }
      for (const kid of firstPublished.keys()) {
        if (!unpublished.has(kid) && !keys.some((key) => key.kid === kid)) unpublished.set(kid, now);
      }

      const idToken = await issueIdToken(step);
      const kid = decodeProtectedHeader(idToken).kid ?? '';
      if (!firstSigned.has(kid)) firstSigned.set(kid, now);
      lastSigned.set(kid, now);

      for (const party of parties) {
        if (now - start < party.phase) continue;
        await party.refreshIfStale(jwksUri, now);
        const failure = await party.verify(idToken, now, app.config.issuer, client.clientId);
        if (failure) failures.push(`t+${(now - start) / SECOND}s ${failure}`);
        // A token it holds must still verify at the last step at which it may accept it (before exp plus the skew).
        const last = party.held.filter((h) => h.lastAcceptedAt < now + STEP);
        for (const held of last) {
          lateChecks++;
          lateCheckedKids.add(held.kid);
          const late = await party.verify(held.token, now, app.config.issuer, client.clientId);
          if (late) failures.push(`t+${(now - start) / SECOND}s held token of ${held.kid}: ${late}`);
        }
        party.held.splice(0, last.length);
        party.held.push({ token: idToken, kid, lastAcceptedAt: ((decodeJwt(idToken).exp ?? 0) + CLOCK_SKEW) * SECOND - 1 });
      }
    }

    expect(failures).toEqual([]);
    // Old tokens were checked late, by every party, including tokens of every key that signed before the last.
    expect(lateChecks).toBeGreaterThan(parties.length * 10);
    expect(rotations).toBeGreaterThanOrEqual(3);
    expect(codeFlows).toBeGreaterThan(0);
    expect(realTokens).toBeGreaterThan(DURATION / STEP / 2 - 1);
    const signers = [...firstSigned.keys()];
    expect(signers).toHaveLength(4);
    for (const kid of signers.slice(0, -1)) expect(lateCheckedKids.has(kid), `a token of ${kid} checked at its last moment`).toBe(true);
    // Each party refetched about every max-age (at the first step after it), never more often.
    for (const party of parties) expect(party.fetches).toBeGreaterThan(DURATION / (60 * SECOND + STEP) - 2);
    for (const party of parties) expect(party.fetches).toBeLessThanOrEqual(Math.ceil(DURATION / (60 * SECOND + STEP)) + 1);
    // Every key after the first was in the JWKS for at least KEY_PREPUBLISH before it signed anything.
    for (const kid of signers.slice(1)) {
      expect((firstSigned.get(kid) ?? 0) - (firstPublished.get(kid) ?? Infinity)).toBeGreaterThanOrEqual(policy.prepublishMs);
    }
    // The old keys left the JWKS, and only once every token they signed had expired.
    for (const kid of signers.slice(0, -2)) {
      expect(unpublished.has(kid), `${kid} left the JWKS`).toBe(true);
      expect((unpublished.get(kid) ?? 0) - (lastSigned.get(kid) ?? Infinity)).toBeGreaterThanOrEqual(policy.retirementDelayMs - STEP);
    }
    const finalKids = ((await (await fetch(jwksUri)).json()) as JSONWebKeySet).keys.map((key) => key.kid);
    expect(finalKids).not.toContain(signers[0]);
    expect(finalKids).toContain(app.keyRing.signingKey.kid);
    expect(finalKids.length).toBeLessThanOrEqual(2);
  });
});
