// Issue 23: the browser flow with a plain OAuth 2 provider (a GitHub-like one, test/helpers/fake-github.ts): no
// ID token, the person read from user-info, no nonce kept. The same start, callback and accounts as OpenID Connect.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider } from '../../src/manage/providers.js';
import { Browser } from '../helpers/browser.js';
import { completeGitHubSignIn, startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { addClient, authorizationUrl, open, redeemRaw, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { footprint, messageOf, providerContext, providerLink, providerLinkText, upstreamLocation } from './federation-helpers.js';

describe('federated sign-in with an OAuth 2 provider (issue 23)', () => {
  let app: RunningApp;
  let github: FakeGitHub;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp();
    github = await startFakeGitHub({
      clientId: 'gh-client',
      clientSecret: 'gh secret, long enough',
      redirectUri: `${app.config.issuer}/federation/github/callback`,
      user: { id: 583231, login: 'octocat', name: 'The Octocat', email: 'octocat@github.example' },
    });
    client = await addClient(app, { name: 'Wiki' });
    await createProvider(providerContext(app), {
      slug: 'github',
      kind: 'oauth2',
      name: 'GitHub',
      authorizationUrl: github.authorizationUrl,
      tokenUrl: github.tokenUrl,
      userinfoUrl: github.userinfoUrl,
      clientId: 'gh-client',
      clientSecret: 'gh secret, long enough',
      scopes: ['read:user', 'user:email'],
      jit: true,
    });
  });

  afterAll(async () => {
    await app?.stop();
  });

  async function toCallback(browser: Browser) {
    const start = await authorizationUrl(client);
    const login = await open(browser, app, start.url);
    expect(providerLinkText(login, 'github')).toBe('Continue with GitHub');
    const toUpstream = upstreamLocation(await browser.get(providerLink(login, 'github') ?? ''), github);
    expect(new URL(toUpstream).searchParams.get('nonce')).toBeNull();
    return { start, callback: await completeGitHubSignIn(toUpstream) };
  }

  it('makes an account just in time from user-info: the numeric id as the subject, amr fed, idp github', async () => {
    const browser = new Browser();
    const { start, callback } = await toCallback(browser);
    const answer = await browser.get(callback.toString());
    expect(answer.status, answer.body).toBe(303);
    const code = new URL(answer.location ?? '').searchParams.get('code') ?? '';
    const claims = decodeJwt((await redeemRaw(app, client, code, start)).id_token ?? '');
    const user = await app.store.users.findByEmail('octocat@github.example');
    expect(user).toMatchObject({ name: 'The Octocat', hasPassword: false, emailVerified: false });
    expect(claims).toMatchObject({ sub: user?.id, amr: ['fed'], idp: 'github' });
    expect(await app.store.federatedIdentities.find('github', '583231')).toMatchObject({ userId: user?.id });
  });

  it("shows the provider's refusal as a 403 page and writes nothing", async () => {
    github.denyWith = 'access_denied';
    try {
      const browser = new Browser();
      const { callback } = await toCallback(browser);
      const before = await footprint(app);
      const answer = await browser.get(callback.toString());
      expect(answer.status, answer.body).toBe(403);
      expect(messageOf(answer)).toContain('GitHub');
      expect(browser.cookie(new URL(app.config.issuer).origin, 'gatehouse_session')).toBeUndefined();
      expect(await footprint(app)).toEqual(before);
    } finally {
      github.denyWith = null;
    }
  });
});
