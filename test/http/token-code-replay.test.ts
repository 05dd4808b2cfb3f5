// A code that comes back (RFC 6749 §4.1.2, §10.5; RFC 9700 §4.5): spent, misdirected, lost in a race, or replayed
// while its tokens are being issued. Every time the answer is invalid_grant, whatever the code produced is revoked,
// and the audit trail names the grant and who presented the code, never the code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { InvalidGrant } from '../../src/errors.js';
import { authorizationCodeGrant } from '../../src/oidc/grants/authorization-code.js';
import type { AuditEventRecord, ClientRecord, UserRecord } from '../../src/store/records.js';
import type { IssuedTokens, Store } from '../../src/store/store.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { basic, family, tokenRequest, type Family, type TokenAnswer } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface Issued {
  code: string;
  start: AuthorizationStart;
}

describe('codes presented again (RFC 6749 §4.1.2)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let user: UserRecord;
  let client: TestClient;
  let other: TestClient;

  beforeAll(async () => {
    app = await startApp({ clock });
    user = await addUser(app);
    client = await addClient(app);
    other = await addClient(app, { name: 'Other', redirectUris: ['https://other.example/cb'] });
  });
  afterAll(() => app.stop());

  async function code(): Promise<Issued> {
    const start = await authorizationUrl(client, { scope: 'openid offline_access' });
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    return { code: callback.searchParams.get('code') ?? '', start };
  }

  const redeem = (issued: Issued, presenter: TestClient = client): Promise<TokenAnswer> =>
    tokenRequest(app, new URLSearchParams({ grant_type: 'authorization_code', code: issued.code, redirect_uri: client.redirectUri, code_verifier: issued.start.codeVerifier }).toString(), {
      Authorization: basic(presenter.clientId, presenter.clientSecret ?? ''),
    });

  const deps = (store: Store) => ({ store, clock: app.clock, config: app.config, keyRing: app.keyRing, secretBox: () => openSecretBox(app.config), claimCatalog: app.claimCatalog });
  const registered = async () => (await app.store.clients.findById(client.clientId)) as ClientRecord;
  const grantIdOf = async (issued: Issued) => (await app.store.codes.find(hashSecret(issued.code)))?.grantId ?? '';

  async function reuseEvent(grantId: string): Promise<AuditEventRecord | undefined> {
    const events = await app.store.audit.list({ limit: 100, filter: { type: 'code.reused' } });
    return events.find((event) => event.details.grant_id === grantId);
  }

  function expectInvalidGrant(answer: TokenAnswer, description: RegExp): void {
    expect({ status: answer.status, error: answer.json.error }, JSON.stringify(answer.json)).toEqual({ status: 400, error: 'invalid_grant' });
    expect(answer.json.error_description).toMatch(description);
    expect(answer.json.access_token).toBeUndefined();
  }

  const allRevoked: Family = { refresh: { live: 0, rotated: 0, revoked: 1 }, access: { live: 0, revoked: 1 } };

  it('revokes what a spent code produced when it comes back after its lifetime, and audits code.reused with the grant and the presenter', async () => {
    const issued = await code();
    const first = await redeem(issued);
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    const grantId = await grantIdOf(issued);
    // Past the code's lifetime: a replay is still a replay (it is not merely "expired"), and still revokes.
    clock.advance((app.config.lifetimes.authorizationCode + 1) * 1000);

    expectInvalidGrant(await redeem(issued), /already been used/);
    expect(await family(app, grantId)).toEqual(allRevoked);
    const event = await reuseEvent(grantId);
    expect(event).toMatchObject({
      type: 'code.reused',
      actor: client.clientId,
      subject: user.id,
      clientId: client.clientId,
      outcome: 'failure',
      details: { grant_id: grantId, presented_by: client.clientId, revoked_refresh_tokens: 1, revoked_access_tokens: 1 },
    });
    expect(JSON.stringify(event)).not.toContain(issued.code);
  });

  it('answers invalid_grant naming the other client to a code presented by a client it was not issued to, burns it and audits the presenter', async () => {
    const issued = await code();
    const grantId = await grantIdOf(issued);
    expectInvalidGrant(await redeem(issued, other), /issued to another client/);
    expect((await app.store.codes.find(hashSecret(issued.code)))?.consumedAt).not.toBeNull();
    expect(await reuseEvent(grantId)).toMatchObject({
      type: 'code.reused',
      actor: other.clientId,
      subject: user.id,
      clientId: client.clientId,
      details: { grant_id: grantId, presented_by: other.clientId, revoked_refresh_tokens: 0, revoked_access_tokens: 0 },
    });
    expectInvalidGrant(await redeem(issued), /already been used/);
  });

  it('answers invalid_grant "already been used" to the redemption that loses the race for a code, and audits it as reuse', async () => {
    const issued = await code();
    const grantId = await grantIdOf(issued);
    // The other redemption spends the code between this one's checks and its own attempt to spend it, which is
    // made with the tokens' records (issue 27).
    const issuance = {
      async record(tokens: IssuedTokens): Promise<boolean> {
        expect(await app.store.codes.consume(hashSecret(issued.code), app.clock.now())).not.toBeNull();
        return app.store.issuance.record(tokens);
      },
    };
    const store = Object.assign(Object.create(app.store) as Store, { issuance });

    const redemption = authorizationCodeGrant(deps(store), await registered(), {
      code: issued.code,
      redirect_uri: client.redirectUri,
      code_verifier: issued.start.codeVerifier,
    });
    await expect(redemption).rejects.toBeInstanceOf(InvalidGrant);
    await expect(redemption).rejects.toThrow(/already been used/);
    expect((await app.store.codes.find(hashSecret(issued.code)))?.replayedAt).not.toBeNull();
    expect(await reuseEvent(grantId)).toMatchObject({ actor: client.clientId, details: { grant_id: grantId, presented_by: client.clientId } });
  });

  it('leaves no working token when the code is replayed while its tokens are being issued', async () => {
    const issued = await code();
    const grantId = await grantIdOf(issued);
    // The replay lands once the code is spent and the tokens recorded (one write, issue 27), before the answer leaves.
    const issuance = {
      async record(tokens: IssuedTokens): Promise<boolean> {
        const recorded = await app.store.issuance.record(tokens);
        expectInvalidGrant(await redeem(issued), /already been used/);
        return recorded;
      },
    };
    const store = Object.assign(Object.create(app.store) as Store, { issuance });

    const response = await authorizationCodeGrant(deps(store), await registered(), {
      code: issued.code,
      redirect_uri: client.redirectUri,
      code_verifier: issued.start.codeVerifier,
    });

    // The answer went out, but nothing in it works.
    expect(response.refresh_token).toEqual(expect.any(String));
    expect(await family(app, grantId)).toEqual(allRevoked);
    expect((await fetch(`${app.url}/userinfo`, { headers: { Authorization: `Bearer ${response.access_token}` } })).status).toBe(401);
  });

  it('still answers with working tokens when the spent code is swept away while they are being issued', async () => {
    const issued = await code();
    const grantId = await grantIdOf(issued);
    // A sweep of expired codes (every code, from where it stands) runs once the code is spent and the tokens
    // recorded, before the check for a replay that arrived meanwhile.
    const issuance = {
      async record(tokens: IssuedTokens): Promise<boolean> {
        const recorded = await app.store.issuance.record(tokens);
        await app.store.codes.deleteExpired(app.clock.now() + 365 * 24 * 3600_000);
        expect(await app.store.codes.find(hashSecret(issued.code))).toBeNull();
        return recorded;
      },
    };
    const store = Object.assign(Object.create(app.store) as Store, { issuance });

    const response = await authorizationCodeGrant(deps(store), await registered(), {
      code: issued.code,
      redirect_uri: client.redirectUri,
      code_verifier: issued.start.codeVerifier,
    });

    expect(await family(app, grantId)).toEqual({ refresh: { live: 1, rotated: 0, revoked: 0 }, access: { live: 1, revoked: 0 } });
    expect((await fetch(`${app.url}/userinfo`, { headers: { Authorization: `Bearer ${response.access_token}` } })).status).toBe(200);
  });
});
