// Gatehouse as the client of a plain OAuth 2 provider (issue 23), against an imitation of GitHub on loopback
// (test/helpers/fake-github.ts): PKCE and state, GitHub's JSON-only-when-asked token endpoint and its errors
// answered with 200, the user-info mapping (a numeric id), and what the person is told when it goes wrong.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OAUTH2_CLAIMS } from '../../src/federation/provider-settings.js';
import type { UpstreamClient } from '../../src/federation/federation.js';
import { completeGitHubSignIn, startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { providerRecord } from '../helpers/federation-fixtures.js';
import { upstreamTestSetup, withParam } from './upstream-test-setup.js';

const REDIRECT_URI = 'http://127.0.0.1:9/federation/github/callback';
const CLIENT_ID = 'Iv1.gatehouse';
const CLIENT_SECRET = `ghsecret-${randomBytes(12).toString('hex')}`;
const { box, newClients, refusal } = upstreamTestSetup(CLIENT_SECRET);
const OCTOCAT = { id: 583231, login: 'octocat', name: 'The Octocat', email: ' octocat@github.example ', company: '@github' };

function githubRow(
  github: FakeGitHub,
  overrides: { claims?: Partial<typeof OAUTH2_CLAIMS>; updatedAt?: number; urls?: Partial<Record<'authorizationUrl' | 'tokenUrl' | 'userinfoUrl', string>> } = {},
) {
  return providerRecord(box, {
    slug: 'github',
    kind: 'oauth2',
    name: 'GitHub',
    settings: {
      authorizationUrl: github.authorizationUrl,
      tokenUrl: github.tokenUrl,
      userinfoUrl: github.userinfoUrl,
      ...overrides.urls,
      clientId: CLIENT_ID,
      scopes: ['read:user', 'user:email'],
      claims: { ...OAUTH2_CLAIMS, ...overrides.claims },
    },
    secret: CLIENT_SECRET,
    updatedAt: overrides.updatedAt ?? 0,
  });
}

async function signIn(client: UpstreamClient) {
  const authorization = await client.beginSignIn(REDIRECT_URI);
  return { authorization, callback: await completeGitHubSignIn(authorization.url) };
}

describe('an upstream OAuth 2 provider (GitHub)', () => {
  const githubStarted = startFakeGitHub({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI, user: OCTOCAT });

  it('signs in with PKCE and state, asks the token endpoint for JSON, and maps GET /user', async () => {
    const github = await githubStarted;
    const client = await newClients().clientFor(githubRow(github, { claims: { attributes: { company: 'company', handle: 'login' } } }));
    const authorization = await client.beginSignIn(REDIRECT_URI);
    expect(authorization.nonce).toBeNull();
    const url = new URL(authorization.url);
    expect(url.origin + url.pathname).toBe(github.authorizationUrl);
    expect(url.searchParams.get('scope')).toBe('read:user user:email');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.has('nonce')).toBe(false);

    const callback = await completeGitHubSignIn(authorization.url);
    const identity = await client.finishSignIn(callback, authorization, REDIRECT_URI);
    expect(identity).toEqual({
      subject: '583231',
      email: 'octocat@github.example',
      emailVerified: false,
      name: 'The Octocat',
      groups: [],
      attributes: { company: '@github', handle: 'octocat' },
      amr: [],
    });
    expect(github.tokenRequests[0]).toEqual({ accept: 'application/json', clientAuth: 'post', ok: true });
  });

  it('refuses a callback whose state was changed or removed (400)', async () => {
    const github = await githubStarted;
    const client = await newClients().clientFor(githubRow(github));
    const { authorization, callback } = await signIn(client);
    const tokenRequests = github.tokenRequests.length;
    for (const tampered of [withParam(callback, 'state', `${authorization.state}x`), withParam(callback, 'state', null)]) {
      const failure = await refusal(client.finishSignIn(tampered, authorization, REDIRECT_URI), callback.searchParams.get('code'), authorization.codeVerifier);
      expect(failure.status).toBe(400);
      expect(failure.message).toBe('This answer from GitHub does not belong to a sign-in started in this browser. Please start again.');
    }
    expect(github.tokenRequests.length).toBe(tokenRequests);
  });

  it('refuses a callback carrying an iss that is not the authorization server (RFC 9207)', async () => {
    const github = await githubStarted;
    const client = await newClients().clientFor(githubRow(github));
    const { authorization, callback } = await signIn(client);
    const mixedUp = withParam(callback, 'iss', 'https://attacker.example');
    expect((await refusal(client.finishSignIn(mixedUp, authorization, REDIRECT_URI))).status).toBe(400);
  });

  it('says GitHub did not sign the person in when it answers error=access_denied (403)', async () => {
    const github = await githubStarted;
    const client = await newClients().clientFor(githubRow(github));
    github.denyWith = 'access_denied';
    try {
      const { authorization, callback } = await signIn(client);
      const failure = await refusal(client.finishSignIn(callback, authorization, REDIRECT_URI));
      expect(failure.status).toBe(403);
      expect(failure.message).toBe('GitHub did not sign you in (access_denied).');
    } finally {
      github.denyWith = null;
    }
  });

  it('refuses a code exchanged with another sign-in’s verifier: GitHub’s 200 error answer is an error (502, code in the detail only)', async () => {
    const github = await githubStarted;
    const client = await newClients().clientFor(githubRow(github));
    const { authorization, callback } = await signIn(client);
    const other = await client.beginSignIn(REDIRECT_URI);
    const failure = await refusal(
      client.finishSignIn(callback, { ...authorization, codeVerifier: other.codeVerifier }, REDIRECT_URI),
      callback.searchParams.get('code'),
      authorization.codeVerifier,
      other.codeVerifier,
    );
    expect(failure.status).toBe(502);
    expect(failure.message).toBe('GitHub is not available right now. Try again later.');
    expect(failure.detail).toContain('bad_verification_code');
    expect(github.tokenRequests[0]).toMatchObject({ ok: false });
  });

  it('refuses a user without the mapped subject', async () => {
    const github = await githubStarted;
    const client = await newClients().clientFor(githubRow(github, { claims: { subject: 'node_id' } }));
    const { authorization, callback } = await signIn(client);
    const failure = await refusal(client.finishSignIn(callback, authorization, REDIRECT_URI));
    expect(failure.status).toBe(502);
    expect(failure.message).toContain('GitHub did not say who you are');
  });

  it('says GitHub is not available when it is down (502), and works again when it is back', async () => {
    const github = await githubStarted;
    const client = await newClients().clientFor(githubRow(github));
    const { authorization, callback } = await signIn(client);
    await github.stop();
    try {
      const failure = await refusal(client.finishSignIn(callback, authorization, REDIRECT_URI), callback.searchParams.get('code'), authorization.codeVerifier);
      expect(failure.status).toBe(502);
      expect(failure.message).toBe('GitHub is not available right now. Try again later.');
      expect(failure.detail).toMatch(/^token request: /);
    } finally {
      await github.restart();
    }
    const again = await signIn(client);
    expect((await client.finishSignIn(again.callback, again.authorization, REDIRECT_URI)).subject).toBe('583231');
  });

  it('says GitHub did not answer in time when it is slower than the timeout (504)', async () => {
    const github = await githubStarted;
    const client = await newClients(300).clientFor(githubRow(github));
    const { authorization, callback } = await signIn(client);
    github.delayMs = 1500;
    try {
      const failure = await refusal(client.finishSignIn(callback, authorization, REDIRECT_URI), callback.searchParams.get('code'), authorization.codeVerifier);
      expect(failure.status).toBe(504);
      expect(failure.message).toBe('GitHub did not answer in time. Try again later.');
    } finally {
      github.delayMs = 0;
    }
  });

  it('refuses a user-info answer larger than 1 MiB, and one that is not a JSON object (502)', async () => {
    const github = await githubStarted;
    const client = await newClients().clientFor(githubRow(github));
    const answers = [JSON.stringify({ ...OCTOCAT, bio: 'x'.repeat(1024 * 1024) }), JSON.stringify([OCTOCAT]), '{"id": 1,'];
    try {
      for (const body of answers) {
        github.override = (req, res) => {
          if (req.url !== '/user') return false;
          res.writeHead(200, { 'content-type': 'application/json' }).end(body);
          return true;
        };
        const { authorization, callback } = await signIn(client);
        const failure = await refusal(client.finishSignIn(callback, authorization, REDIRECT_URI));
        expect(failure.status).toBe(502);
        expect(failure.message).toBe('GitHub is not available right now. Try again later.');
      }
    } finally {
      github.override = null;
    }
  });

  it('refuses URLs on plain http off loopback before sending anything', async () => {
    const github = await githubStarted;
    const failure = await refusal(newClients().clientFor(githubRow(github, { urls: { tokenUrl: 'http://github.example/login/oauth/access_token' } })));
    expect(failure.status).toBe(502);
    expect(failure.detail).toContain('http://github.example');
  });
});
