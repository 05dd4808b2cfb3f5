// The refresh token grant's less travelled paths (RFC 6749 §6, RFC 9700 §4.14.2, OIDC Core §11): refusals that
// must write nothing, the audit record of a reuse, a reuse that lands while the winner is signing, and the
// sign-in session that only a session-bound token keeps alive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { expectRefused, family, refresh, stored, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const IDLE = 4 * HOUR;

describe('refresh token grant: edge cases', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;

  const tokens = (scope: string, browser = new Browser()): Promise<Tokens> => tokensFor(app, client, browser, scope);
  const userinfo = async (accessToken: string) => (await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;

  beforeAll(async () => {
    app = await startApp({ clock, env: { REFRESH_TOKEN_IDLE_TTL: String(IDLE / 1000) } });
    await addUser(app);
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  describe('refusals write nothing (RFC 6749 §5.2)', () => {
    it('names every scope beyond the grant in invalid_scope, one space apart (RFC 6749 §6)', async () => {
      const first = await tokens('openid');
      expectRefused(await refresh(app, client, first.refresh_token, { scope: 'openid email profile' }), 'invalid_scope', 'scope email profile was not granted to this refresh token');
    });

    it('refuses an expired refresh token with invalid_grant and revokes nothing of its grant: only a disabled user takes the family down', async () => {
      const first = await tokens('openid offline_access');
      const { grantId } = await stored(app, first.refresh_token);
      const before = await family(app, grantId);
      clock.advance(IDLE);
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the refresh token has expired');
      expect(await family(app, grantId)).toEqual(before);
    });

    it('refuses a session-bound refresh token whose session idled out with invalid_grant and revokes nothing of its grant', async () => {
      const first = await tokens('openid');
      const { grantId } = await stored(app, first.refresh_token);
      const before = await family(app, grantId);
      clock.advance(app.config.lifetimes.sessionIdle * 1000);
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the sign-in session of the refresh token has ended');
      expect(await family(app, grantId)).toEqual(before);
    });
  });

  describe('reuse (RFC 9700 §4.14.2)', () => {
    it('treats a spent token presented with a scope it was never granted as reuse: invalid_grant, and the family revoked', async () => {
      const first = await tokens('openid offline_access');
      const { grantId } = await stored(app, first.refresh_token);
      expect((await refresh(app, client, first.refresh_token)).status).toBe(200);
      expectRefused(await refresh(app, client, first.refresh_token, { scope: 'openid email profile' }), 'invalid_grant', 'the refresh token has already been used');
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 2 }, access: { live: 0, revoked: 2 } });
    });

    it('audits a reuse as a failure concerning the client of the token', async () => {
      const first = await tokens('openid offline_access');
      expect((await refresh(app, client, first.refresh_token)).status).toBe(200);
      expectRefused(await refresh(app, client, first.refresh_token), 'invalid_grant', 'the refresh token has already been used');
      const [event] = await app.store.audit.list({ limit: 1 });
      expect(event).toMatchObject({ type: 'refresh_token.reused', outcome: 'failure', clientId: client.clientId, at: clock.now() });
    });

    it('revokes the successor of a refresh whose family was revoked by a reuse while it was being signed; the answer still goes out', async () => {
      const first = await tokens('openid offline_access');
      const { grantId } = await stored(app, first.refresh_token);
      // The winner has rotated the token and recorded its successor in one write (issue 27): a reuse of the spent
      // token arrives before the answer leaves, and revokes the family.
      const issuance = app.store.issuance;
      const record = issuance.record;
      let reuse: Awaited<ReturnType<typeof refresh>> | undefined;
      issuance.record = async (input) => {
        issuance.record = record;
        const recorded = await record.call(issuance, input);
        reuse = await refresh(app, client, first.refresh_token);
        return recorded;
      };
      let winner: Awaited<ReturnType<typeof refresh>>;
      try {
        winner = await refresh(app, client, first.refresh_token);
      } finally {
        issuance.record = record;
      }
      expect(winner.status, JSON.stringify(winner.json)).toBe(200);
      expectRefused(reuse!, 'invalid_grant', 'the refresh token has already been used');
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 2 }, access: { live: 0, revoked: 2 } });
      expectRefused(await refresh(app, client, winner.json.refresh_token ?? ''), 'invalid_grant', 'the refresh token has been revoked');
      expect(await userinfo(winner.json.access_token ?? '')).toBe(401);
    });
  });

  describe('a user deleted during a refresh', () => {
    it('still answers the refresh that won the rotation, with tokens that died with the user', async () => {
      const leaver = await addUser(app, 'leaver@example.com');
      const first = await tokensFor(app, client, new Browser(), 'openid offline_access', 'leaver@example.com');
      // The successor is recorded, then the user is deleted (and every token row with them) before the answer leaves.
      const issuance = app.store.issuance;
      const record = issuance.record;
      issuance.record = async (input) => {
        issuance.record = record;
        const result = await record.call(issuance, input);
        expect(await app.store.users.delete(leaver.id)).toBe(true);
        return result;
      };
      let winner: Awaited<ReturnType<typeof refresh>>;
      try {
        winner = await refresh(app, client, first.refresh_token);
      } finally {
        issuance.record = record;
      }
      expect(winner.status, JSON.stringify(winner.json)).toBe(200);
      expectRefused(await refresh(app, client, winner.json.refresh_token ?? ''), 'invalid_grant', 'the refresh token is invalid');
      expect(await userinfo(winner.json.access_token ?? '')).toBe(401);
    });
  });

  describe('the sign-in session (OIDC Core §11)', () => {
    it('does not keep the sign-in session alive while an offline_access token is refreshed: that token does not depend on it', async () => {
      const browser = new Browser();
      const bound = await tokens('openid', browser);
      const offline = await tokens('openid offline_access', browser);
      const { sessionIdHash } = await stored(app, offline.refresh_token);
      expect((await stored(app, bound.refresh_token)).sessionIdHash).toBe(sessionIdHash);
      const lastSeenAt = (await app.store.sessions.findLive(sessionIdHash ?? '', clock.now()))?.lastSeenAt;
      clock.advance(app.config.lifetimes.sessionIdle * 1000 - MINUTE);
      expect((await refresh(app, client, offline.refresh_token)).status).toBe(200);
      expect((await app.store.sessions.findLive(sessionIdHash ?? '', clock.now()))?.lastSeenAt).toBe(lastSeenAt);
      clock.advance(MINUTE);
      expectRefused(await refresh(app, client, bound.refresh_token), 'invalid_grant', 'the sign-in session of the refresh token has ended');
    });
  });
});
