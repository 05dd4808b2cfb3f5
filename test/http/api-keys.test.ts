// The management API's signing keys (issue 26, src/api/keys.ts), end to end over HTTP with a personal token, every
// answer checked against the OpenAPI document: the key list (never a private key), a rotation that publishes at once
// and signs after KEY_PREPUBLISH or at a chosen later time or at once, and a revocation that takes a key out of the
// JWKS, with the rules of src/manage/keys.ts that `idp keys` uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagementApi } from '../helpers/openapi.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { personalToken } from './api-helpers.js';

let app: RunningApp;
let api: ManagementApi;
let token: string;

interface KeyBody {
  kid: string;
  state: string;
  published: boolean;
  created_at: string;
  activates_at: string;
  [field: string]: unknown;
}

const kidsInJwks = async () => ((await (await fetch(`${app.config.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
const listed = async () => ((await api.call('GET', '/keys', { token })).body as { items: KeyBody[] }).items;

beforeAll(async () => {
  app = await startApp();
  api = await ManagementApi.open(app.url);
  ({ token } = await personalToken(app, { scopes: ['manage:keys'] }));
});

afterAll(async () => {
  await app?.stop();
});

describe('management API signing keys', () => {
  it('lists the keys with their state and times, never a private key', async () => {
    const answer = await api.call('GET', '/keys', { token });
    expect(answer.status).toBe(200);
    const [key] = (answer.body as { items: KeyBody[] }).items;
    expect(key).toMatchObject({ kid: app.keyRing.signingKey.kid, alg: 'RS256', state: 'active', published: true, revoked_at: null });
    expect(JSON.stringify(answer.body)).not.toMatch(/"(d|p|q|dp|dq|qi)":/);
    expect((await api.call('GET', `/keys/${key?.kid ?? ''}`, { token })).body).toEqual(key);
    expect((await api.call('GET', '/keys/no-such-kid', { token })).status).toBe(404);
  });

  it('rotates: the new key is in the JWKS at once and signs after KEY_PREPUBLISH, or at a later time given', async () => {
    const signing = app.keyRing.signingKey.kid;
    const answer = await api.call('POST', '/keys/rotate', { token, body: {} });
    expect(answer.status).toBe(201);
    const key = answer.body as KeyBody & { previous_kid: string; not_ready: unknown[] };
    expect(key).toMatchObject({ state: 'pending', published: true, previous_kid: signing, not_ready: [] });
    expect(Date.parse(key.activates_at) - Date.parse(key.created_at)).toBe(app.config.keyPrepublish * 1000);
    expect(answer.headers.get('location')).toBe(`${app.url}/api/v1/keys/${key.kid}`);
    expect(await kidsInJwks()).toContain(key.kid);
    expect(app.keyRing.signingKey.kid).toBe(signing);

    const later = new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString();
    const scheduled = await api.call('POST', '/keys/rotate', { token, body: { activates_at: later } });
    expect(scheduled.body).toMatchObject({ state: 'pending', activates_at: later });
    const [event] = await app.store.audit.list({ filter: { type: 'key.rotation_scheduled' }, limit: 1 });
    expect(event).toMatchObject({ actor: 'cli', subject: (scheduled.body as KeyBody).kid, details: { activates_at: later } });
  });

  it('refuses an activation sooner than KEY_PREPUBLISH, beyond a year, or with immediately too, writing nothing', async () => {
    const before = (await listed()).length;
    for (const [body, field] of [
      [{ activates_at: new Date(Date.now() + 60_000).toISOString() }, 'activates_at'],
      [{ activates_at: new Date(Date.now() + 400 * 24 * 3600 * 1000).toISOString() }, 'activates_at'],
      [{ immediately: true, activates_at: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString() }, 'activates_at'],
      [{ activates_at: 'next tuesday' }, 'activates_at'],
      [{ now: true }, 'body'],
    ] as const) {
      const answer = await api.call('POST', '/keys/rotate', { token, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ errors: [{ field }] });
    }
    expect((await listed()).length).toBe(before);
  });

  it('rotates immediately, then revokes the old signing key: out of the JWKS at once, a second time 409', async () => {
    const old = app.keyRing.signingKey.kid;
    const rotated = await api.call('POST', '/keys/rotate', { token, body: { immediately: true } });
    const kid = (rotated.body as KeyBody).kid;
    expect(rotated.body).toMatchObject({ state: 'active', previous_kid: old });
    expect(app.keyRing.signingKey.kid).toBe(kid);
    const revoked = await api.call('POST', `/keys/${old}/revoke`, { token });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ kid: old, state: 'revoked', published: false, was_signing: false, replacement: null });
    expect(await kidsInJwks()).not.toContain(old);
    const again = await api.call('POST', `/keys/${old}/revoke`, { token });
    expect(again.status).toBe(409);
    expect((await api.call('POST', '/keys/no-such-kid/revoke', { token })).status).toBe(404);
  });

  it('refuses a token without manage:keys, changing nothing', async () => {
    const other = await personalToken(app, { scopes: ['manage:users'] });
    const before = await listed();
    const answer = await api.call('POST', '/keys/rotate', { token: other.token, body: { immediately: true } });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ scope: 'manage:keys' });
    expect(await listed()).toEqual(before);
  });
});
