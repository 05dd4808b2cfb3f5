// Dynamic registration (RFC 7591) and the client configuration endpoint (RFC 7592) with issue 28's client metadata:
// require_pushed_authorization_requests (RFC 9126 §6) and dpop_bound_access_tokens (RFC 9449 §5.2). Registered through
// openid-client as a real client, stored, echoed in every client information response (false included), replaced by
// an update (omitted is false, RFC 7592 §2.2); anything but a boolean, or PAR for a client that makes no authorization
// request, is refused with invalid_client_metadata naming the field, and nothing is stored.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../helpers/start-app.js';
import { clientCount, configuration, initialToken, MINIMAL, register, startRegistrationApp } from './registration-helpers.js';

const PAR = 'require_pushed_authorization_requests';
const DPOP = 'dpop_bound_access_tokens';
const DEVICE_ONLY = { client_name: 'TV app', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], token_endpoint_auth_method: 'none' };

describe('registration metadata: require_pushed_authorization_requests and dpop_bound_access_tokens', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startRegistrationApp('token');
  });
  afterAll(() => app.stop());

  const stored = async () => ({ clients: await clientCount(app), events: (await app.store.audit.list({ limit: 1000 })).length });

  /** Registers through openid-client with an initial access token; the client information response as answered. */
  async function registered(metadata: Partial<oidc.ClientMetadata>): Promise<Record<string, any>> {
    const { token } = await initialToken(app, { uses: 1 });
    const config = await oidc.dynamicClientRegistration(new URL(app.config.issuer), metadata, undefined, { initialAccessToken: token, execute: [oidc.allowInsecureRequests] });
    return config.clientMetadata() as Record<string, any>;
  }

  it('registers a client with neither rule by default and says so (false) in the answer', async () => {
    const answer = await registered(MINIMAL);
    expect(answer).toMatchObject({ [PAR]: false, [DPOP]: false });
    expect(await app.store.clients.findById(answer.client_id)).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false });
  });

  it('registers a public client that must push its requests and bind its tokens, stores both and echoes them, on a read too', async () => {
    const answer = await registered({ ...MINIMAL, token_endpoint_auth_method: 'none', [PAR]: true, [DPOP]: true });
    expect(answer).toMatchObject({ token_endpoint_auth_method: 'none', [PAR]: true, [DPOP]: true });
    expect(await app.store.clients.findById(answer.client_id)).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
    const read = await configuration(answer.registration_client_uri, 'GET', answer.registration_access_token);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ [PAR]: true, [DPOP]: true });
  });

  it('replaces both at an update (RFC 7592 §2.2): given, they change; omitted, they are false again', async () => {
    const first = await registered({ ...MINIMAL, [DPOP]: true });
    const { registration_access_token: token, registration_client_uri: uri, client_id_issued_at: _i, client_secret_expires_at: _e, client_secret: _s, ...metadata } = first;
    const updated = await configuration(uri, 'PUT', token, { ...metadata, [PAR]: true, [DPOP]: false });
    expect(updated.status, JSON.stringify(updated.json)).toBe(200);
    expect(updated.json).toMatchObject({ [PAR]: true, [DPOP]: false });
    expect(await app.store.clients.findById(first.client_id)).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: false });
    const { [PAR]: _par, [DPOP]: _dpop, ...without } = metadata;
    const cleared = await configuration(uri, 'PUT', updated.json.registration_access_token as string, without);
    expect(cleared.status, JSON.stringify(cleared.json)).toBe(200);
    expect(cleared.json).toMatchObject({ [PAR]: false, [DPOP]: false });
    expect(await app.store.clients.findById(first.client_id)).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false });
  });

  describe('refusals (RFC 7591 §3.2.2), nothing stored', () => {
    const CASES: [string, Record<string, unknown>, string][] = [
      [`${PAR} as text`, { ...MINIMAL, [PAR]: 'true' }, PAR],
      [`${PAR} as a number`, { ...MINIMAL, [PAR]: 1 }, PAR],
      [`${DPOP} as text`, { ...MINIMAL, [DPOP]: 'yes' }, DPOP],
      [`${DPOP} as an object`, { ...MINIMAL, [DPOP]: { required: true } }, DPOP],
      [`${PAR} for a device-only client (it makes no authorization request)`, { ...DEVICE_ONLY, [PAR]: true }, PAR],
    ];

    it.each(CASES)('refuses %s', async (_description, metadata, field) => {
      const { token } = await initialToken(app, { uses: 1 });
      const before = await stored();
      const answer = await register(app, metadata, { token });
      expect(answer.status).toBe(400);
      expect(answer.json.error).toBe('invalid_client_metadata');
      expect(answer.json.error_description).toMatch(new RegExp(`^${field}[ :]`));
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(await stored()).toEqual(before);
    });

    it('refuses an update with a rule that is not a boolean, changing nothing (the token included)', async () => {
      const first = await registered(MINIMAL);
      const { registration_access_token: token, registration_client_uri: uri, client_id_issued_at: _i, client_secret_expires_at: _e, client_secret: _s, ...metadata } = first;
      const client = await app.store.clients.findById(first.client_id);
      const answer = await configuration(uri, 'PUT', token, { ...metadata, [DPOP]: 'true' });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: 'invalid_client_metadata', error_description: `${DPOP} must be true or false` });
      expect(await app.store.clients.findById(first.client_id)).toEqual(client);
      // The token still works: a refused update rotates nothing.
      expect((await configuration(uri, 'GET', token)).status).toBe(200);
    });
  });
});
