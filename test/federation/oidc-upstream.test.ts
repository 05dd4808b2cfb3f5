// Gatehouse as the relying party of an upstream OpenID Connect provider (issue 23), against a real oidc-provider
// on loopback (test/helpers/upstream-oidc.ts): the claim mapping, every check of the callback and the ID token,
// and what the person is told when the upstream refuses, is down, is slow or answers too much.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { UpstreamAuthorization, UpstreamClient } from '../../src/federation/federation.js';
import { OIDC_CLAIMS } from '../../src/federation/provider-settings.js';
import { providerRecord } from '../helpers/federation-fixtures.js';
import { completeUpstreamSignIn, startUpstreamOidc, type UpstreamAccount, type UpstreamOidc } from '../helpers/upstream-oidc.js';
import { upstreamTestSetup, withParam } from './upstream-test-setup.js';

const REDIRECT_URI = 'http://127.0.0.1:9/federation/acme/callback';
const CLIENT_ID = 'gatehouse-test';
const CLIENT_SECRET = `secret-${randomBytes(12).toString('hex')}`;
const { box, newClients, refusal } = upstreamTestSetup(CLIENT_SECRET);

const ACCOUNTS: Record<string, UpstreamAccount> = {
  alice: { email: ' Alice@Example.COM ', email_verified: true, name: 'Alice Liddell', groups: ['admins', 'staff', 7], amr: ['pwd', 'mfa'], department: 'Looking glass' },
  bob: { email: 'bob@example.com', name: 'Bob', groups: 'staff' },
  carol: { email: 'carol@example.com', email_verified: 'true', groups: [] },
  nobody: {},
};

function oidcRow(upstream: UpstreamOidc, overrides: { claims?: Partial<typeof OIDC_CLAIMS>; slug?: string; updatedAt?: number; issuer?: string } = {}) {
  return providerRecord(box, {
    slug: overrides.slug ?? 'acme',
    kind: 'oidc',
    name: 'Acme SSO',
    settings: {
      issuer: overrides.issuer ?? upstream.issuer,
      clientId: CLIENT_ID,
      scopes: ['openid', 'email', 'profile', 'groups'],
      claims: { ...OIDC_CLAIMS, ...overrides.claims },
    },
    secret: CLIENT_SECRET,
    updatedAt: overrides.updatedAt ?? 0,
  });
}

async function signIn(client: UpstreamClient, accountId: string): Promise<{ authorization: UpstreamAuthorization; callback: URL }> {
  const authorization = await client.beginSignIn(REDIRECT_URI);
  const callback = await completeUpstreamSignIn(authorization.url, accountId);
  return { authorization, callback };
}

const REGISTRATION = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [REDIRECT_URI] };

describe('an upstream OpenID Connect provider', () => {
  const upstreamStarted = startUpstreamOidc({ clients: [REGISTRATION], accounts: ACCOUNTS });

  it('signs in with PKCE, state and nonce, and maps the ID token claims', async () => {
    const upstream = await upstreamStarted;
    const client = await newClients().clientFor(oidcRow(upstream, { claims: { groups: 'groups', attributes: { department: 'department' } } }));
    const authorization = await client.beginSignIn(REDIRECT_URI, { loginHint: 'alice' });
    const url = new URL(authorization.url);
    expect(url.origin).toBe(upstream.issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(authorization.state);
    expect(url.searchParams.get('nonce')).toBe(authorization.nonce);
    expect(url.searchParams.get('login_hint')).toBe('alice');
    expect(url.searchParams.get('scope')).toBe('openid email profile groups');
    expect(url.searchParams.has('code_verifier')).toBe(false);
    expect(url.href).not.toContain(authorization.codeVerifier);

    const callback = await completeUpstreamSignIn(authorization.url, 'alice');
    expect(callback.searchParams.get('iss')).toBe(upstream.issuer);
    const identity = await client.finishSignIn(callback, authorization, REDIRECT_URI);
    expect(identity).toEqual({
      subject: 'alice',
      email: 'Alice@Example.COM',
      emailVerified: true,
      name: 'Alice Liddell',
      groups: ['admins', 'staff'],
      attributes: { department: 'Looking glass' },
      amr: ['pwd', 'mfa'],
    });
  });

  it('takes only an explicit email_verified true, one group name as a group, and no amr as []', async () => {
    const upstream = await upstreamStarted;
    const client = await newClients().clientFor(oidcRow(upstream, { claims: { groups: 'groups' } }));
    const bob = await signIn(client, 'bob');
    expect(await client.finishSignIn(bob.callback, bob.authorization, REDIRECT_URI)).toEqual({
      subject: 'bob',
      email: 'bob@example.com',
      emailVerified: false,
      name: 'Bob',
      groups: ['staff'],
      attributes: {},
      amr: [],
    });
    const carol = await signIn(client, 'carol');
    const identity = await client.finishSignIn(carol.callback, carol.authorization, REDIRECT_URI);
    expect(identity).toMatchObject({ subject: 'carol', email: 'carol@example.com', emailVerified: false, name: null, groups: [] });
  });

  it('refuses an identity without the mapped subject', async () => {
    const upstream = await upstreamStarted;
    const client = await newClients().clientFor(oidcRow(upstream, { claims: { subject: 'employee_id' } }));
    const { authorization, callback } = await signIn(client, 'alice');
    const failure = await refusal(client.finishSignIn(callback, authorization, REDIRECT_URI), callback.searchParams.get('code'), authorization.codeVerifier);
    expect(failure.status).toBe(502);
    expect(failure.message).toBe("Acme SSO did not say who you are. Ask your administrator to check this provider's settings.");
  });

  it('refuses a callback whose state was changed or removed, before any token request', async () => {
    const upstream = await upstreamStarted;
    const client = await newClients().clientFor(oidcRow(upstream));
    const { authorization, callback } = await signIn(client, 'alice');
    const code = callback.searchParams.get('code');
    const tokenRequests = upstream.requests.filter((path) => path === '/token').length;
    for (const tampered of [withParam(callback, 'state', `${authorization.state}x`), withParam(callback, 'state', null)]) {
      const failure = await refusal(client.finishSignIn(tampered, authorization, REDIRECT_URI), code, authorization.codeVerifier);
      expect(failure.status).toBe(400);
      expect(failure.message).toBe('This answer from Acme SSO does not belong to a sign-in started in this browser. Please start again.');
    }
    expect(upstream.requests.filter((path) => path === '/token').length).toBe(tokenRequests);
    // The untouched callback still works: nothing was spent.
    expect((await client.finishSignIn(callback, authorization, REDIRECT_URI)).subject).toBe('alice');
  });

  it('refuses an ID token whose nonce is another sign-in’s', async () => {
    const upstream = await upstreamStarted;
    const client = await newClients().clientFor(oidcRow(upstream));
    const { authorization, callback } = await signIn(client, 'alice');
    const other = await client.beginSignIn(REDIRECT_URI);
    const failure = await refusal(client.finishSignIn(callback, { ...authorization, nonce: other.nonce }, REDIRECT_URI), callback.searchParams.get('code'), authorization.codeVerifier);
    expect(failure.status).toBe(502);
    expect(failure.message).toBe('Acme SSO sent an answer that could not be verified. Please start again.');
    expect(failure.detail).toContain('nonce');
  });

  it('refuses a callback whose iss names another issuer (RFC 9207 mix-up), or lacks the advertised iss', async () => {
    const upstream = await upstreamStarted;
    const client = await newClients().clientFor(oidcRow(upstream));
    const { authorization, callback } = await signIn(client, 'alice');
    for (const tampered of [withParam(callback, 'iss', 'https://attacker.example'), withParam(callback, 'iss', null)]) {
      const failure = await refusal(client.finishSignIn(tampered, authorization, REDIRECT_URI), callback.searchParams.get('code'));
      expect(failure.status).toBe(400);
      expect(failure.detail).toMatch(/iss/);
    }
  });

  it('says the upstream did not sign the person in when it answers error=access_denied (its code only)', async () => {
    const upstream = await upstreamStarted;
    const client = await newClients().clientFor(oidcRow(upstream));
    const authorization = await client.beginSignIn(REDIRECT_URI);
    const callback = await completeUpstreamSignIn(authorization.url, 'alice', { deny: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const failure = await refusal(client.finishSignIn(callback, authorization, REDIRECT_URI));
    expect(failure.status).toBe(403);
    expect(failure.message).toBe('Acme SSO did not sign you in (access_denied).');
    // A forged error answer without this sign-in's state is not the upstream's decision.
    const forged = await refusal(client.finishSignIn(withParam(callback, 'state', 'forged'), authorization, REDIRECT_URI));
    expect(forged.status).toBe(400);
  });

  it('fetches the JWKS again when an ID token names a key it does not have (rotation), and not otherwise', async () => {
    const upstream = await upstreamStarted;
    const client = await newClients().clientFor(oidcRow(upstream));
    const jwksFetches = () => upstream.requests.filter((path) => path === '/jwks').length;
    const first = await signIn(client, 'alice');
    await client.finishSignIn(first.callback, first.authorization, REDIRECT_URI);
    const afterFirst = jwksFetches();
    const second = await signIn(client, 'bob');
    expect((await client.finishSignIn(second.callback, second.authorization, REDIRECT_URI)).subject).toBe('bob');
    expect(jwksFetches()).toBe(afterFirst);

    const oldKid = upstream.kid();
    await upstream.rotateKeys();
    expect(upstream.kid()).not.toBe(oldKid);
    const third = await signIn(client, 'alice');
    expect((await client.finishSignIn(third.callback, third.authorization, REDIRECT_URI)).subject).toBe('alice');
    expect(jwksFetches()).toBe(afterFirst + 1);
  });

  it('says the upstream is not available when it is down (502), and works again when it is back', async () => {
    const upstream = await upstreamStarted;
    const clients = newClients();
    const client = await clients.clientFor(oidcRow(upstream));
    const { authorization, callback } = await signIn(client, 'alice');
    await upstream.stop();
    try {
      const atToken = await refusal(client.finishSignIn(callback, authorization, REDIRECT_URI), callback.searchParams.get('code'), authorization.codeVerifier);
      expect(atToken.status).toBe(502);
      expect(atToken.message).toBe('Acme SSO is not available right now. Try again later.');
      const fresh = await newClients().clientFor(oidcRow(upstream));
      const atDiscovery = await refusal(fresh.beginSignIn(REDIRECT_URI));
      expect(atDiscovery.status).toBe(502);
      expect(atDiscovery.detail).toMatch(/^discovery: /);
    } finally {
      await upstream.restart();
    }
    const again = await signIn(client, 'alice');
    expect((await client.finishSignIn(again.callback, again.authorization, REDIRECT_URI)).subject).toBe('alice');
  });

  it('says the upstream did not answer in time when it is slower than the timeout (504)', async () => {
    const upstream = await upstreamStarted;
    upstream.delayMs = 1500;
    try {
      const client = await newClients(300).clientFor(oidcRow(upstream));
      const failure = await refusal(client.beginSignIn(REDIRECT_URI));
      expect(failure.status).toBe(504);
      expect(failure.message).toBe('Acme SSO did not answer in time. Try again later.');
    } finally {
      upstream.delayMs = 0;
    }
  });

  it('refuses an answer larger than 1 MiB, with or without a Content-Length, and a redirect (502)', async () => {
    const upstream = await upstreamStarted;
    // The upstream's real discovery document, padded: only its size is wrong.
    const real = (await (await fetch(`${upstream.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const big = JSON.stringify({ ...real, padding: 'x'.repeat(1024 * 1024) });
    const answers: ((res: import('node:http').ServerResponse) => void)[] = [
      (res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) }).end(big),
      (res) => {
        // Chunked, no length announced: the limit is found while reading.
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let at = 0; at < big.length; at += 64 * 1024) res.write(big.slice(at, at + 64 * 1024));
        res.end();
      },
      (res) => res.writeHead(302, { location: `${upstream.issuer}/elsewhere` }).end(),
    ];
    try {
      for (const answer of answers) {
        upstream.override = (req, res) => {
          if (!req.url?.startsWith('/.well-known/openid-configuration')) return false;
          answer(res);
          return true;
        };
        const failure = await refusal(
          newClients()
            .clientFor(oidcRow(upstream))
            .then((client) => client.beginSignIn(REDIRECT_URI)),
        );
        expect(failure.status).toBe(502);
        expect(failure.message).toBe('Acme SSO is not available right now. Try again later.');
      }
    } finally {
      upstream.override = null;
    }
  });

  it('refuses an issuer on plain http off loopback, and a discovered endpoint there, before sending anything to it', async () => {
    const upstream = await upstreamStarted;
    const refused = await refusal(newClients().clientFor(oidcRow(upstream, { issuer: 'http://idp.example.com' })));
    expect(refused.status).toBe(502);
    expect(refused.detail).toContain('http://idp.example.com');

    upstream.override = (req, res) => {
      if (!req.url?.startsWith('/.well-known/openid-configuration')) return false;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          issuer: upstream.issuer,
          authorization_endpoint: `${upstream.issuer}/auth`,
          token_endpoint: 'http://idp.example.com/token',
          jwks_uri: `${upstream.issuer}/jwks`,
          response_types_supported: ['code'],
        }),
      );
      return true;
    };
    try {
      const discovered = await refusal(
        newClients()
          .clientFor(oidcRow(upstream))
          .then((client) => client.beginSignIn(REDIRECT_URI)),
      );
      expect(discovered.status).toBe(502);
      expect(discovered.detail).toContain('http://idp.example.com');
    } finally {
      upstream.override = null;
    }
  });

  it('keeps one client per provider row until the row changes', async () => {
    const upstream = await upstreamStarted;
    const clients = newClients();
    const first = await clients.clientFor(oidcRow(upstream, { updatedAt: 1 }));
    expect(await clients.clientFor(oidcRow(upstream, { updatedAt: 1 }))).toBe(first);
    const changed = await clients.clientFor(oidcRow(upstream, { updatedAt: 2 }));
    expect(changed).not.toBe(first);
    clients.clear();
    expect(await clients.clientFor(oidcRow(upstream, { updatedAt: 2 }))).not.toBe(changed);
  });
});

describe('an upstream that does not advertise RFC 9207 iss, and one that puts claims only at userinfo', () => {
  const quiet = startUpstreamOidc({ clients: [REGISTRATION], accounts: ACCOUNTS, issParameter: false, claimsInIdToken: false });

  it('still refuses an iss naming another issuer, and accepts a callback without iss', async () => {
    const upstream = await quiet;
    const client = await newClients().clientFor(oidcRow(upstream));
    const { authorization, callback } = await signIn(client, 'alice');
    const failure = await refusal(client.finishSignIn(withParam(callback, 'iss', 'https://attacker.example'), authorization, REDIRECT_URI));
    expect(failure.status).toBe(400);
    expect((await client.finishSignIn(withParam(callback, 'iss', null), authorization, REDIRECT_URI)).subject).toBe('alice');
  });

  it('reads the claims the ID token lacks from the userinfo endpoint', async () => {
    const upstream = await quiet;
    const client = await newClients().clientFor(oidcRow(upstream, { claims: { groups: 'groups' } }));
    const { authorization, callback } = await signIn(client, 'alice');
    expect(await client.finishSignIn(callback, authorization, REDIRECT_URI)).toEqual({
      subject: 'alice',
      email: 'Alice@Example.COM',
      emailVerified: true,
      name: 'Alice Liddell',
      groups: ['admins', 'staff'],
      attributes: {},
      amr: ['pwd', 'mfa'],
    });
    expect(upstream.requests).toContain('/me');
  });
});
