// Idempotent refresh retries (REFRESH_REUSE_GRACE and a client's own grace, src/oidc/grants/refresh-retry.ts):
// within the grace after a rotation, the same client presenting the spent token again receives the same successor
// and new access and ID tokens; after the grace, from another client, or once the successor was used, it is reuse
// and the family dies (RFC 9700 §4.14.2). Strict rotation stays the default.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { expectRefused, family, refresh, stored, tokensFor, type TokenAnswer } from '../helpers/refresh.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const SECOND = 1000;

describe('refresh reuse grace: a retried refresh gets the same successor', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  /** Its own grace: 10 s. */
  let graceful: TestClient;
  /** No grace of its own: the server's REFRESH_REUSE_GRACE, 30 s here. */
  let serverGrace: TestClient;
  /** Its own grace is 0: strict, whatever the server says. */
  let strict: TestClient;
  let ada: UserRecord;

  const tokens = (client: TestClient, scope = 'openid email offline_access') => tokensFor(app, client, new Browser(), scope);
  const userinfo = (accessToken: string) => fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  const ok = (answer: TokenAnswer) => {
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return answer.json as Record<string, string> & { refresh_token: string; access_token: string; id_token: string };
  };
  const retriedEvents = async () => (await app.store.audit.list({ limit: 200 })).filter((event) => event.type === 'refresh_token.retried');

  beforeAll(async () => {
    app = await startApp({ clock, env: { REFRESH_REUSE_GRACE: '30' } });
    ada = await addUser(app);
    graceful = await addClient(app, { name: 'Phone app', refreshReuseGrace: 10 });
    serverGrace = await addClient(app, { name: 'Tabs app', redirectUris: ['https://tabs.example/cb'] });
    strict = await addClient(app, { name: 'Strict app', redirectUris: ['https://strict.example/cb'], refreshReuseGrace: 0 });
  });
  afterAll(() => app.stop());

  it('a retry within the grace answers the same refresh token, new access and ID tokens, and is audited without the token', async () => {
    const first = await tokens(graceful);
    const answer = ok(await refresh(app, graceful, first.refresh_token));
    clock.advance(10 * SECOND);
    const retried = ok(await refresh(app, graceful, first.refresh_token));
    expect(retried.refresh_token).toBe(answer.refresh_token);
    expect(retried.access_token).not.toBe(answer.access_token);
    expect(decodeJwt(retried.id_token).jti ?? retried.id_token).not.toBe(decodeJwt(answer.id_token).jti ?? answer.id_token);
    expect(decodeJwt(retried.id_token)).not.toHaveProperty('nonce');
    expect((await userinfo(retried.access_token)).status).toBe(200);
    expect((await userinfo(answer.access_token)).status).toBe(200);

    const { grantId } = await stored(app, first.refresh_token);
    // One successor, recorded once: the family still has exactly one live refresh token.
    expect(await family(app, grantId)).toEqual({ refresh: { live: 1, rotated: 1, revoked: 0 }, access: { live: 3, revoked: 0 } });
    const [event] = await retriedEvents();
    expect(event).toMatchObject({ actor: graceful.clientId, subject: ada.id, outcome: 'success', details: { client_id: graceful.clientId, grant_id: grantId } });
    const written = JSON.stringify([await app.store.audit.list({ limit: 200 }), app.logs]);
    for (const token of [first.refresh_token, answer.refresh_token]) expect(written).not.toContain(token);

    // The successor carries the family on as usual.
    ok(await refresh(app, graceful, answer.refresh_token));
  });

  it('stores neither the successor nor the spent token in clear, only their hashes', async () => {
    const first = await tokens(graceful);
    const answer = ok(await refresh(app, graceful, first.refresh_token));
    const rows = await queryRows<Record<string, unknown>>(app, 'SELECT * FROM refresh_tokens WHERE token_hash IN (?, ?)', [hashSecret(first.refresh_token), hashSecret(answer.refresh_token)]);
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(answer.refresh_token);
    expect(JSON.stringify(rows)).not.toContain(first.refresh_token);
  });

  it('a retry one second after the grace is reuse: refused, and the whole family is revoked', async () => {
    const first = await tokens(graceful);
    const answer = ok(await refresh(app, graceful, first.refresh_token));
    clock.advance(11 * SECOND);
    expectRefused(await refresh(app, graceful, first.refresh_token), 'invalid_grant', 'the refresh token has already been used');
    expectRefused(await refresh(app, graceful, answer.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
    expect((await userinfo(answer.access_token)).status).toBe(401);
  });

  it('a retry after the successor was used is reuse, inside the grace too', async () => {
    const first = await tokens(graceful);
    const answer = ok(await refresh(app, graceful, first.refresh_token));
    const next = ok(await refresh(app, graceful, answer.refresh_token));
    expectRefused(await refresh(app, graceful, first.refresh_token), 'invalid_grant', 'the refresh token has already been used');
    expectRefused(await refresh(app, graceful, next.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
    const { grantId } = await stored(app, first.refresh_token);
    expect((await family(app, grantId)).refresh.live).toBe(0);
  });

  it('the spent token presented by another client is never a retry: refused, and the family is revoked (RFC 6749 §10.4)', async () => {
    const first = await tokens(graceful);
    const answer = ok(await refresh(app, graceful, first.refresh_token));
    expectRefused(await refresh(app, serverGrace, first.refresh_token), 'invalid_grant', 'the refresh token was issued to another client');
    expectRefused(await refresh(app, graceful, answer.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
  });

  it('a client without a grace of its own follows REFRESH_REUSE_GRACE', async () => {
    const first = await tokens(serverGrace);
    const answer = ok(await refresh(app, serverGrace, first.refresh_token));
    clock.advance(30 * SECOND);
    expect(ok(await refresh(app, serverGrace, first.refresh_token)).refresh_token).toBe(answer.refresh_token);
    clock.advance(SECOND);
    expectRefused(await refresh(app, serverGrace, first.refresh_token), 'invalid_grant', 'the refresh token has already been used');
  });

  it('a client whose own grace is 0 keeps strict rotation whatever the server allows', async () => {
    const first = await tokens(strict);
    const answer = ok(await refresh(app, strict, first.refresh_token));
    expectRefused(await refresh(app, strict, first.refresh_token), 'invalid_grant', 'the refresh token has already been used');
    expectRefused(await refresh(app, strict, answer.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
  });

  it('two refreshes with one token at once (two tabs) both succeed with the same successor, which then works', async () => {
    const first = await tokens(serverGrace);
    const answers = (await Promise.all([refresh(app, serverGrace, first.refresh_token), refresh(app, serverGrace, first.refresh_token)])).map(ok);
    expect(answers[0]?.refresh_token).toBe(answers[1]?.refresh_token);
    const { grantId } = await stored(app, first.refresh_token);
    expect((await family(app, grantId)).refresh).toEqual({ live: 1, rotated: 1, revoked: 0 });
    ok(await refresh(app, serverGrace, answers[0]?.refresh_token ?? ''));
  });

  it('a retry after a rotation whose answer was lost before its successor was recorded records it then, once', async () => {
    const first = await tokens(graceful);
    // The rotation happened; the server failed before recording the successor, and the client never saw an answer.
    expect(await app.store.refreshTokens.rotate(hashSecret(first.refresh_token), clock.now())).not.toBeNull();
    const retried = ok(await refresh(app, graceful, first.refresh_token));
    const again = ok(await refresh(app, graceful, first.refresh_token));
    expect(again.refresh_token).toBe(retried.refresh_token);
    const { grantId } = await stored(app, first.refresh_token);
    expect((await family(app, grantId)).refresh).toEqual({ live: 1, rotated: 1, revoked: 0 });
  });

  it('a retry may narrow the scope as a refresh may (RFC 6749 §6); the successor keeps the whole grant', async () => {
    const first = await tokens(graceful);
    const answer = ok(await refresh(app, graceful, first.refresh_token));
    const narrowed = ok(await refresh(app, graceful, first.refresh_token, { scope: 'openid' }));
    expect(narrowed.scope).toBe('openid');
    expect(narrowed.refresh_token).toBe(answer.refresh_token);
    expect((await stored(app, answer.refresh_token)).scope).toBe('openid email offline_access');
    expectRefused(await refresh(app, graceful, first.refresh_token, { scope: 'openid profile' }), 'invalid_scope', 'scope profile was not granted to this refresh token');
  });

  it('a retry passes the checks of a first refresh: a disabled person gets nothing, and the family is revoked', async () => {
    const bob = await addUser(app, 'bob@example.com');
    const first = await tokensFor(app, graceful, new Browser(), 'openid offline_access', 'bob@example.com');
    const answer = ok(await refresh(app, graceful, first.refresh_token));
    await app.store.users.update(bob.id, { disabled: true }, clock.now());
    expectRefused(await refresh(app, graceful, first.refresh_token), 'invalid_grant', 'the user can no longer sign in');
    const { grantId } = await stored(app, first.refresh_token);
    expect((await family(app, grantId)).refresh.live).toBe(0);
    expect(answer.refresh_token).toEqual(expect.any(String));
  });

  it('a revoked family stays revoked: the spent token of a revoked grant is refused as revoked', async () => {
    const first = await tokens(graceful);
    const answer = ok(await refresh(app, graceful, first.refresh_token));
    const revoked = await fetch(`${app.config.issuer}/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${graceful.clientId}:${graceful.clientSecret ?? ''}`).toString('base64')}` },
      body: new URLSearchParams({ token: answer.refresh_token }).toString(),
    });
    expect(revoked.status).toBe(200);
    expectRefused(await refresh(app, graceful, first.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
  });
});
