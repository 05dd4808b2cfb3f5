// OIDC Core §5.4, §5.3.2: scope profile releases `name` only when the user has one; a claim with no value is left
// out, never sent as null, in the ID token and in userinfo alike.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, redeemRaw, signIn, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('the name claim of a user without a name (OIDC Core §5.4)', () => {
  let app: RunningApp;
  let client: TestClient;
  let user: UserRecord;

  beforeAll(async () => {
    app = await startApp();
    user = await addUser(app, 'nameless@example.com', {});
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  it('is left out of the ID token and the userinfo answer under scope profile, while the other claims are released', async () => {
    expect(user.name).toBeNull();
    const start = await authorizationUrl(client, { scope: 'openid profile email' });
    const callback = await signIn(new Browser(), app, start, 'nameless@example.com');
    const tokens = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    expect(tokens.scope, JSON.stringify(tokens)).toBe('openid profile email');

    const id = decodeJwt(tokens.id_token ?? '');
    expect(id).not.toHaveProperty('name');
    expect(id).toMatchObject({ sub: user.id, email: 'nameless@example.com', email_verified: false });

    const response = await fetch(`${app.url}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: user.id, email: 'nameless@example.com', email_verified: false });
  });
});
