// `idp user sessions` and `idp user sign-out`: an administrator sees where a person is signed in and signs
// them out everywhere, from another process than the running server, which then refuses their tokens.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, redeemRaw, submitLogin, type TestClient } from '../helpers/oidc.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('idp user sessions | sign-out (the command-line tool beside a running server)', () => {
  let app: RunningApp;
  let wiki: TestClient;
  let crm: TestClient;
  let env: Record<string, string>;

  async function tokensFor(browser: Browser, client: TestClient, scope: string): Promise<Record<string, string>> {
    const start = await authorizationUrl(client, { scope });
    const page = await open(browser, app, start.url);
    const answer = page.status === 200 ? await submitLogin(browser, page, 'ada@example.com') : page;
    return redeemRaw(app, client, new URL(answer.location ?? '').searchParams.get('code') ?? '', start);
  }

  beforeAll(async () => {
    app = await startApp();
    env = idpEnv(app);
    await addUser(app, 'ada@example.com');
    await addUser(app, 'grace@example.com');
    wiki = await addClient(app, { name: 'Wiki' });
    crm = await addClient(app, { name: 'CRM', redirectUris: ['https://crm.example/cb'] });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('lists each live session with the applications that received tokens in it, then signs the user out everywhere', async () => {
    const browser = new Browser();
    const wikiTokens = await tokensFor(browser, wiki, 'openid');
    const crmTokens = await tokensFor(browser, crm, 'openid offline_access');
    const sid = decodeJwt(wikiTokens.id_token ?? '').sid;

    const listed = await runIdp(['user', 'sessions', 'ada@example.com', '--json'], env);
    expect(listed.stderr).toBe('');
    const { sessions } = JSON.parse(listed.stdout) as { sessions: { sid: string; clients: string[] }[] };
    expect(sessions).toEqual([expect.objectContaining({ sid, clients: [wiki.clientId, crm.clientId] })]);

    const signedOut = await runIdp(['user', 'sign-out', 'ada@example.com', '--json'], env);
    expect(signedOut.code, signedOut.stderr).toBe(0);
    expect(JSON.parse(signedOut.stdout)).toMatchObject({ email: 'ada@example.com', sessions_ended: 1 });

    expect(JSON.parse((await runIdp(['user', 'sessions', 'ada@example.com', '--json'], env)).stdout)).toEqual({ sessions: [] });
    const userinfo = await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${wikiTokens.access_token}` } });
    expect(userinfo.status).toBe(401);
    // Sign-out everywhere takes offline grants too, unlike a logout.
    expect((await app.store.refreshTokens.find(hashSecret(crmTokens.refresh_token ?? '')))?.revokedAt).not.toBeNull();
    const again = await open(browser, app, (await authorizationUrl(wiki, { prompt: 'none' })).url);
    expect(new URL(again.location ?? '').searchParams.get('error')).toBe('login_required');
    const events = await app.store.audit.list({ limit: 10 });
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['user.signed_out_everywhere', 'session.ended']));
  });

  it('answers "(no sessions)" for a user who is signed in nowhere, and fails clearly for an unknown user', async () => {
    const none = await runIdp(['user', 'sessions', 'grace@example.com'], env);
    expect(none.stdout.trim()).toBe('(no sessions)');
    const unknown = await runIdp(['user', 'sign-out', 'nobody@example.com'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('idp: no user "nobody@example.com"');
  });
});
