// The device polls the token endpoint (RFC 8628 §3.4, §3.5; issue 22): authorization_pending until the person
// decides, slow_down when it polls sooner than its interval (which grows by 5 s each time), expired_token once the
// code has lived its lifetime, access_denied after Deny, and after Allow the usual tokens with the person's
// auth_time and amr, exactly once: a second use, a concurrent request or another client's request gets
// invalid_grant. Time moves on a fake clock.
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import { DEVICE_CODE_GRANT, type ApiRecord, type UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addDeviceClient, approve, poll, signInAtDevice, startDevice, stored, type Answer, type DeviceClient } from './device-helpers.js';

describe('polling the token endpoint with a device code (RFC 8628 §3.4, §3.5)', () => {
  const clock = new FakeClock(Date.parse('2025-06-01T09:00:00Z'));
  let app: RunningApp;
  let tv: DeviceClient;
  let ada: UserRecord;
  let browser: Browser;
  let signedInAt: number;

  const expectError = (answer: Answer, error: string) => {
    expect({ status: answer.status, error: answer.json.error }, JSON.stringify(answer.json)).toEqual({ status: 400, error });
  };

  async function verified(token: string, audience: string) {
    const jwks = (await (await fetch(`${app.url}/jwks`)).json()) as JSONWebKeySet;
    return (await jwtVerify(token, createLocalJWKSet(jwks), { issuer: app.config.issuer, audience, currentDate: new Date(clock.now()) })).payload;
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    tv = await addDeviceClient(app, { name: 'Living-room TV' });
    ada = await addUser(app, 'ada@example.com', { name: 'Ada Lovelace' });
    browser = new Browser();
    signedInAt = clock.now();
    await signInAtDevice(app, ada.email, browser);
    clock.advance(60_000);
  });
  afterAll(() => app?.stop());

  it('refuses a request without device_code with invalid_request, and an unknown one with invalid_grant', async () => {
    expectError(await poll(app, tv, ''), 'invalid_request');
    expectError(await poll(app, tv, 'not-a-device-code'), 'invalid_grant');
  });

  it('answers authorization_pending while the person has not decided; a poll sooner than the interval gets slow_down and 5 s more', async () => {
    const start = await startDevice(app, tv);
    expectError(await poll(app, tv, start.deviceCode), 'authorization_pending');
    // At once again: too soon.
    expectError(await poll(app, tv, start.deviceCode), 'slow_down');
    expect((await stored(app, start)).interval).toBe(10);
    // After 9 s, still too soon for the grown interval; after 10 more, a plain poll.
    clock.advance(9_000);
    expectError(await poll(app, tv, start.deviceCode), 'slow_down');
    expect((await stored(app, start)).interval).toBe(15);
    clock.advance(15_000);
    expectError(await poll(app, tv, start.deviceCode), 'authorization_pending');
    expect((await stored(app, start)).interval).toBe(15);
  });

  it('answers expired_token once the code has lived DEVICE_CODE_TTL, even after an approval', async () => {
    const start = await startDevice(app, tv);
    clock.advance(app.config.lifetimes.deviceCode * 1000);
    expectError(await poll(app, tv, start.deviceCode), 'expired_token');

    const approved = await startDevice(app, tv);
    await approve(app, browser, approved.userCode);
    clock.advance(app.config.lifetimes.deviceCode * 1000);
    expectError(await poll(app, tv, approved.deviceCode), 'expired_token');
  });

  it('answers access_denied after the person chose Deny, at every poll', async () => {
    const start = await startDevice(app, tv);
    const done = await approve(app, browser, start.userCode, 'deny');
    expect(done.body).toContain('You denied <strong>Living-room TV</strong>');
    expectError(await poll(app, tv, start.deviceCode), 'access_denied');
    clock.advance(5_000);
    expectError(await poll(app, tv, start.deviceCode), 'access_denied');
    expect((await stored(app, start)).status).toBe('denied');
  });

  it('after Allow, issues an ID token with the person’s auth_time and amr, an access token and a refresh token, once', async () => {
    const start = await startDevice(app, tv, { scope: 'openid profile offline_access' });
    const done = await approve(app, browser, start.userCode);
    expect(done.body).toContain('You allowed <strong>Living-room TV</strong>');
    const answer = await poll(app, tv, start.deviceCode);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: app.config.lifetimes.accessToken,
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      scope: 'openid profile offline_access',
    });
    const idToken = await verified(answer.json.id_token as string, tv.record.clientId);
    expect(idToken).toMatchObject({ sub: ada.id, auth_time: Math.floor(signedInAt / 1000), amr: ['pwd'], name: 'Ada Lovelace' });
    expect(idToken.nonce).toBeUndefined();
    const accessToken = await verified(answer.json.access_token as string, `${app.url}/userinfo`);
    expect(accessToken).toMatchObject({ sub: ada.id, client_id: tv.record.clientId, scope: 'openid profile offline_access', auth_time: Math.floor(signedInAt / 1000) });
    // The refresh token works like any other.
    const refreshed = await poll(app, tv, '', { grant_type: 'refresh_token', refresh_token: answer.json.refresh_token as string });
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
    // Spent: the same device code again is invalid_grant, even after its interval.
    clock.advance(5_000);
    expectError(await poll(app, tv, start.deviceCode), 'invalid_grant');
    expect((await stored(app, start)).consumedAt).not.toBeNull();
  });

  it('issues no ID token without openid, and no refresh token to a client that may not refresh', async () => {
    const start = await startDevice(app, tv, { scope: 'profile' });
    await approve(app, browser, start.userCode);
    const answer = await poll(app, tv, start.deviceCode);
    expect(answer.status).toBe(200);
    expect(answer.json.id_token).toBeUndefined();
    expect(answer.json.scope).toBe('profile');

    const noRefresh = await addDeviceClient(app, { name: 'Kiosk', grantTypes: [DEVICE_CODE_GRANT] });
    const kiosk = await startDevice(app, noRefresh, { scope: 'openid offline_access' });
    await approve(app, browser, kiosk.userCode);
    const tokens = await poll(app, noRefresh, kiosk.deviceCode);
    expect(tokens.status).toBe(200);
    expect(tokens.json.refresh_token).toBeUndefined();
    expect(tokens.json.id_token).toEqual(expect.any(String));
  });

  it('refuses the device code presented by another client with invalid_grant and changes nothing: the rightful client still gets its tokens', async () => {
    const other = await addDeviceClient(app, { name: 'Someone else’s TV' });
    const start = await startDevice(app, tv);
    const before = await stored(app, start);
    expectError(await poll(app, other, start.deviceCode), 'invalid_grant');
    expect(await stored(app, start)).toEqual(before);
    await approve(app, browser, start.userCode);
    expectError(await poll(app, other, start.deviceCode), 'invalid_grant');
    expect((await stored(app, start)).consumedAt).toBeNull();
    const answer = await poll(app, tv, start.deviceCode);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(decodeJwt(answer.json.id_token as string).aud).toBe(tv.record.clientId);
  });

  it('gives the tokens to exactly one of two concurrent requests after the approval', async () => {
    const start = await startDevice(app, tv);
    await approve(app, browser, start.userCode);
    const answers = await Promise.all([poll(app, tv, start.deviceCode), poll(app, tv, start.deviceCode)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    const loser = answers.find((answer) => answer.status === 400);
    expect(loser?.json.error).toBe('invalid_grant');
  });

  it('mints an access token for the API the device named, with its scopes only', async () => {
    const api: ApiRecord = await app.store.apis.create(
      {
        id: randomId(),
        name: 'Recordings',
        identifier: 'https://tv.example/recordings',
        scopes: [{ name: 'recordings:read', description: 'Watch your recordings' }],
        tokenLifetime: 300,
        tokenFormat: 'jwt',
        accepts: 'people',
      },
      clock.now(),
    );
    await app.store.apis.setGrants(tv.record.clientId, [{ apiId: api.id, role: 'request', scopes: null }]);
    const start = await startDevice(app, tv, new URLSearchParams({ scope: 'openid recordings:read', resource: api.identifier }));
    await approve(app, browser, start.userCode);
    const answer = await poll(app, tv, start.deviceCode);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json).toMatchObject({ scope: 'recordings:read', expires_in: 300 });
    expect(await verified(answer.json.access_token as string, api.identifier)).toMatchObject({ sub: ada.id, scope: 'recordings:read' });
  });

  it('refuses an approval whose person was disabled, or whose session ended, with invalid_grant', async () => {
    const grace = await addUser(app, 'grace@example.com', { name: 'Grace Hopper' });
    const graceBrowser = new Browser();
    await signInAtDevice(app, grace.email, graceBrowser);
    const start = await startDevice(app, tv);
    await approve(app, graceBrowser, start.userCode);
    await app.store.users.update(grace.id, { disabled: true }, clock.now());
    expectError(await poll(app, tv, start.deviceCode), 'invalid_grant');

    const other = await startDevice(app, tv);
    await approve(app, browser, other.userCode);
    const session = await app.store.sessions.listForUser(ada.id, clock.now());
    for (const live of session) await app.sessionEnd.end(live, { reason: 'logout', actor: ada.id, keepOffline: true });
    const refused = await poll(app, tv, other.deviceCode);
    expectError(refused, 'invalid_grant');
    expect(refused.json.error_description).toBe('the sign-in session in which this device was approved has ended');
  });
});
