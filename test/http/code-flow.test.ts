import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, redeem, signIn, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import type { UserRecord } from '../../src/store/records.js';

describe('authorization code flow with openid-client (OIDC Core §3.1)', () => {
  let app: RunningApp;
  let user: UserRecord;
  let confidential: TestClient;

  beforeAll(async () => {
    app = await startApp();
    user = await addUser(app);
    confidential = await addClient(app);
  });
  afterAll(() => app.stop());

  it('signs a person in through the login page and reads userinfo', async () => {
    const browser = new Browser();
    const start = await authorizationUrl(confidential);
    const callback = await signIn(browser, app, start, 'ada@example.com');
    expect(callback.origin + callback.pathname).toBe(confidential.redirectUri);
    expect(callback.searchParams.get('state')).toBe(start.state);
    expect(callback.searchParams.get('iss')).toBe(app.config.issuer);
    const tokens = await redeem(confidential, callback, start);
    const claims = tokens.claims();
    expect(claims).toMatchObject({ iss: app.config.issuer, sub: user.id, aud: confidential.clientId, nonce: start.nonce, email: 'ada@example.com', name: 'Ada Lovelace' });
    expect(tokens.token_type).toBe('bearer');
    const info = await oidc.fetchUserInfo(confidential.config, tokens.access_token, user.id);
    expect(info).toEqual({ sub: user.id, name: 'Ada Lovelace', email: 'ada@example.com', email_verified: false });
    const { payload } = await jwtVerify(tokens.id_token ?? '', createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`)), { issuer: app.config.issuer, audience: confidential.clientId });
    expect(payload.sub).toBe(user.id);
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
  });

  it('signs the same browser in to a second client without the form (SSO)', async () => {
    const browser = new Browser();
    const first = await authorizationUrl(confidential);
    await redeem(confidential, await signIn(browser, app, first, 'ada@example.com'), first);
    const second = await addClient(app, { name: 'Second app', redirectUris: ['https://second.example/cb'] });
    const start = await authorizationUrl(second);
    const page = await open(browser, app, start.url);
    expect(page.status).toBe(303);
    const callback = new URL(page.location ?? '');
    expect(callback.origin).toBe('https://second.example');
    const tokens = await redeem(second, callback, start);
    expect(tokens.claims()?.sub).toBe(user.id);
  });
});
