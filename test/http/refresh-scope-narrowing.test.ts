// A client's allowed scopes may shrink after people granted it more (an administrator takes offline_access or
// email away): its refresh tokens keep only what the client may still have, from their next use on (issue 20).
// openid stays; a token that loses offline_access is bound to its sign-in session again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { expectRefused, refresh, stored, tokensFor, type TokenAnswer } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('refresh tokens after the client lost scopes', () => {
  const clock = new FakeClock();
  let app: RunningApp;

  const ok = (answer: TokenAnswer) => {
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return answer.json as Record<string, string> & { refresh_token: string; access_token: string };
  };
  const userinfo = async (accessToken: string) =>
    (await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } })).json() as Promise<Record<string, unknown>>;
  const allow = (client: TestClient, scopes: string[]) => app.store.clients.update(client.clientId, { scopes }, clock.now());

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
  });
  afterAll(() => app.stop());

  it('narrows the answer, the access token and the successor to what the client may still have', async () => {
    const client = await addClient(app, { name: 'Narrowed' });
    const first = await tokensFor(app, client, new Browser(), 'openid email profile offline_access');
    await allow(client, ['openid', 'profile', 'offline_access']);
    const answer = ok(await refresh(app, client, first.refresh_token));
    expect(answer.scope).toBe('openid profile offline_access');
    expect(await userinfo(answer.access_token)).not.toHaveProperty('email');
    expect((await stored(app, answer.refresh_token)).scope).toBe('openid profile offline_access');
    // What was taken away cannot be asked for again (RFC 6749 §6: never beyond the grant).
    expectRefused(await refresh(app, client, answer.refresh_token, { scope: 'openid email' }), 'invalid_scope', 'scope email was not granted to this refresh token');
  });

  it('keeps openid even when the client lost it: a refresh always answers with an ID token (OIDC Core §12.1)', async () => {
    const client = await addClient(app, { name: 'No openid' });
    const first = await tokensFor(app, client, new Browser(), 'openid email offline_access');
    await allow(client, ['email', 'offline_access']);
    const answer = ok(await refresh(app, client, first.refresh_token));
    expect(answer.scope).toBe('openid email offline_access');
    expect(answer.id_token).toEqual(expect.any(String));
  });

  it('a token that loses offline_access after its session ended is refused: it is bound to the session again', async () => {
    const client = await addClient(app, { name: 'No offline' });
    const browser = new Browser();
    const first = await tokensFor(app, client, browser, 'openid offline_access');
    const record = await stored(app, first.refresh_token);
    const session = await app.store.sessions.findLive(record.sessionIdHash ?? '', clock.now());
    expect(session).not.toBeNull();
    if (session) await app.sessionEnd.end(session, { reason: 'logout', actor: 'test', keepOffline: true });
    await allow(client, ['openid', 'profile', 'email']);
    expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the sign-in session of the refresh token has ended');
  });

  it('a token that loses offline_access while its session lives goes on, as a session-bound token', async () => {
    const client = await addClient(app, { name: 'Online again' });
    const first = await tokensFor(app, client, new Browser(), 'openid offline_access');
    await allow(client, ['openid']);
    const answer = ok(await refresh(app, client, first.refresh_token));
    expect(answer.scope).toBe('openid');
    expect((await stored(app, answer.refresh_token)).scope).toBe('openid');
  });

  it('leaves the tokens of a client whose scopes did not change as they were', async () => {
    const client = await addClient(app, { name: 'Unchanged' });
    const first = await tokensFor(app, client, new Browser(), 'openid email offline_access');
    const answer = ok(await refresh(app, client, first.refresh_token));
    expect(answer.scope).toBe('openid email offline_access');
    expect((await stored(app, answer.refresh_token)).scope).toBe('openid email offline_access');
  });
});
