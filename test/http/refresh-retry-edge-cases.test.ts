// Edge cases of a refresh retried within its grace (src/oidc/grants/refresh-token.ts, retryWithinGrace): it keeps
// the sign-in session of a session-bound token alive as a refresh does, leaves the session alone for an offline
// token, and a revocation that runs while the retry is signing reaches the successor the retry records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { refreshTokenGrant } from '../../src/oidc/grants/refresh-token.js';
import { revokeGrant } from '../../src/oidc/grants/revoke-grant.js';
import type { ClientRecord } from '../../src/store/records.js';
import type { IssuedTokens, Store } from '../../src/store/store.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { family, refresh, stored, tokensFor, type TokenAnswer } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const SECOND = 1000;

describe('a refresh retried within its grace: sessions and revocations', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;

  const ok = (answer: TokenAnswer) => {
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return answer.json as Record<string, string> & { refresh_token: string };
  };
  const lastSeen = async (sessionIdHash: string | null) => (await app.store.sessions.findLive(sessionIdHash ?? '', clock.now()))?.lastSeenAt;

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
    client = await addClient(app, { refreshReuseGrace: 120 });
  });
  afterAll(() => app.stop());

  it('keeps the sign-in session of a session-bound token from idling out, as a refresh does', async () => {
    const first = await tokensFor(app, client, new Browser(), 'openid');
    const { sessionIdHash } = await stored(app, first.refresh_token);
    ok(await refresh(app, client, first.refresh_token));
    const afterRefresh = await lastSeen(sessionIdHash);
    // Within a granule of the last record (a minute here), a retry records nothing (src/auth/sessions.ts activityDue).
    clock.advance(30 * SECOND);
    ok(await refresh(app, client, first.refresh_token));
    expect(await lastSeen(sessionIdHash)).toBe(afterRefresh);
    clock.advance(31 * SECOND);
    ok(await refresh(app, client, first.refresh_token));
    expect(await lastSeen(sessionIdHash)).toBe((afterRefresh ?? 0) + 61 * SECOND);
  });

  it('leaves the sign-in session alone for an offline token, which does not depend on it (OIDC Core §11)', async () => {
    const first = await tokensFor(app, client, new Browser(), 'openid offline_access');
    const { sessionIdHash } = await stored(app, first.refresh_token);
    const before = await lastSeen(sessionIdHash);
    clock.advance(30 * SECOND);
    ok(await refresh(app, client, first.refresh_token));
    clock.advance(10 * SECOND);
    ok(await refresh(app, client, first.refresh_token));
    expect(await lastSeen(sessionIdHash)).toBe(before);
  });

  it('revokes what the retry recorded when the family was revoked while it was signing (RFC 9700 §4.14.2)', async () => {
    const first = await tokensFor(app, client, new Browser(), 'openid offline_access');
    const next = ok(await refresh(app, client, first.refresh_token));
    const { grantId } = await stored(app, first.refresh_token);
    // The retry passes its checks; the family is revoked while it signs, before its records are written.
    const issuance = {
      async record(issued: IssuedTokens) {
        await revokeGrant(app.store, grantId, clock.now());
        return app.store.issuance.record(issued);
      },
    };
    const store = Object.assign(Object.create(app.store) as Store, { issuance });
    const registered = (await app.store.clients.findById(client.clientId)) as ClientRecord;
    const deps = { store, clock: app.clock, config: app.config, keyRing: app.keyRing, secretBox: () => openSecretBox(app.config), claimCatalog: app.claimCatalog };
    const retried = await refreshTokenGrant(deps, registered, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(retried.refresh_token).toBe(next.refresh_token);
    // The access token the retry recorded after the revocation is revoked too: nothing of the family lives.
    expect(await family(app, grantId)).toMatchObject({ refresh: { live: 0 }, access: { live: 0 } });
    expect((await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${retried.access_token}` } })).status).toBe(401);
  });
});
