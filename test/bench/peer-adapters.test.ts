// The same-work peer (issue 27, bench/peer/same-work.ts) does the work it is compared for: its access tokens are
// RFC 9068 JWTs (typ at+jwt, RS256, verified against its JWKS) on the code exchange and on the refresh, and what
// it stores goes through its durable adapter (bench/peer/sqlite-adapter.ts, bench/peer/postgres-adapter.ts): a
// restart of its process keeps the browser's session (single sign-on without the login form) and the rotated
// refresh token, while the refresh token it replaced stays refused. One process per engine, one restart.
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareFlows, refreshFlow, signInFlow, ssoFlow, type FlowContext } from '../../bench/load/flows.js';
import { closeAgent, VirtualUser } from '../../bench/load/http-client.js';
import { BENCH_RESOURCE } from '../../bench/peer/resource.js';
import { startOidcProvider, type OidcProviderOptions } from '../../bench/servers/oidc-provider.js';
import type { Target } from '../../bench/target.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';

afterAll(() => closeAgent());

async function expectJwtAccessToken(ctx: FlowContext, token: string): Promise<void> {
  expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
  const { payload } = await jwtVerify(token, ctx.jwks, { issuer: ctx.target.issuer, audience: BENCH_RESOURCE, typ: 'at+jwt', algorithms: ['RS256'] });
  expect(payload.client_id).toBe(ctx.target.client.clientId);
}

/** A refresh grant as flows.ts makes it, keeping the whole answer: status, error and the access token. */
async function refresh(ctx: FlowContext, refreshToken: string): Promise<{ status: number; json: Record<string, string> }> {
  const response = await fetch(ctx.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: ctx.basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, string> };
}

function journey(options: OidcProviderOptions, expectedName: Target['name']) {
  return async () => {
    let target = await startOidcProvider(options);
    try {
      expect(target.name).toBe(expectedName);
      let ctx = await prepareFlows(target);
      const vu = new VirtualUser();

      const signedIn = await signInFlow(vu, ctx);
      await expectJwtAccessToken(ctx, signedIn.accessToken);
      const again = await ssoFlow(vu, ctx);
      await expectJwtAccessToken(ctx, again.accessToken);
      const first = signedIn.refreshToken ?? '';
      const rotated = await refreshFlow(vu, ctx, first);

      if (!target.restart) throw new Error('the peer target cannot restart');
      target = await target.restart();
      expect(target.process.exitCode).toBeNull();
      ctx = await prepareFlows(target);

      // The session survived: a code without the login form (ssoFlow refuses a form), and an ID token that verifies.
      const afterRestart = await ssoFlow(vu, ctx);
      await expectJwtAccessToken(ctx, afterRestart.accessToken);
      const refreshed = await refresh(ctx, rotated);
      expect(refreshed.status).toBe(200);
      expect(refreshed.json.refresh_token).toEqual(expect.any(String));
      await expectJwtAccessToken(ctx, refreshed.json.access_token ?? '');
      // The token the first refresh replaced is refused (rotation, RFC 9700 §4.14.2).
      const replayed = await refresh(ctx, first);
      expect(replayed.status).toBe(400);
      expect(replayed.json.error).toBe('invalid_grant');
    } finally {
      await target.stop();
    }
  };
}

describe('the same-work peer on its durable adapters', () => {
  it('on SQLite: JWT access tokens, and a restart keeps the session and the rotated refresh token', journey({ setup: 'same-work' }, 'oidc-provider-same-work'), 60_000);

  it.skipIf(!TEST_DATABASE_URL)(
    'on PostgreSQL: JWT access tokens, and a restart keeps the session and the rotated refresh token',
    journey({ setup: 'same-work', databaseUrl: TEST_DATABASE_URL ?? '' }, 'oidc-provider-same-work-postgres'),
    60_000,
  );
});
