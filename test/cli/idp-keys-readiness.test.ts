// `idp keys rotate` and key rotation readiness (issue 26): the tool names the applications that have not fetched
// the JWKS since the new key was published — on stderr as a warning, in --json as `not_ready` — and rotates all
// the same (a rotation by hand is never held). Real `idp` processes beside a running app on the same store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addClient, type TestClient } from '../helpers/oidc.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { basic } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface NotReady {
  client_id: string;
  name: string;
  state: string;
  last_seen_at: string;
  last_jwks_fetch_at: string | null;
}

describe('idp keys rotate: the applications not ready for the new key', () => {
  let app: RunningApp;
  let env: Record<string, string>;
  let fetching: TestClient;
  let silent: TestClient;

  /** Authenticates as the client from this test (loopback) with its own User-Agent. */
  async function authenticate(client: TestClient, userAgent: string): Promise<void> {
    const response = await fetch(`${app.config.issuer}/revoke`, {
      method: 'POST',
      headers: { 'user-agent': userAgent, 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client.clientId, client.clientSecret ?? '') },
      body: 'token=not-a-token',
    });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    app = await startApp();
    env = idpEnv(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('warns about nobody while no application has been seen', async () => {
    const result = await runIdp(['keys', 'rotate'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^new signing key \S+ is published now and signs from /);
  });

  it('lists them in --json (waiting first, then those never seen fetching the JWKS), and on stderr as a warning, and rotates all the same', async () => {
    fetching = await addClient(app, { name: 'Fetches the JWKS' });
    silent = await addClient(app, { name: 'Never fetches' });
    await authenticate(fetching, 'fetching/1');
    await authenticate(silent, 'silent/1');
    await (await fetch(`${app.config.issuer}/jwks`, { headers: { 'user-agent': 'fetching/1' } })).arrayBuffer();
    // Written in the background, in the order observed (bounded wait).
    for (let attempt = 0; attempt < 200; attempt++) {
      const summaries = await app.store.clientSightings.summary(0);
      if (summaries.length === 2 && summaries.every((s) => s.clientId === silent.clientId || s.lastJwksFetchAt !== null)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }

    const json = await runIdp(['keys', 'rotate', '--json'], env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const rotated = JSON.parse(json.stdout) as { kid: string; state: string; not_ready: NotReady[] };
    expect(rotated.state).toBe('pending');
    expect(rotated.not_ready).toEqual([
      { client_id: fetching.clientId, name: 'Fetches the JWKS', state: 'waiting', last_seen_at: expect.any(String), last_jwks_fetch_at: expect.any(String) },
      { client_id: silent.clientId, name: 'Never fetches', state: 'unknown', last_seen_at: expect.any(String), last_jwks_fetch_at: null },
    ]);
    expect((await app.keyRing.keyStore.list()).some((key) => key.kid === rotated.kid)).toBe(true);

    const text = await runIdp(['keys', 'rotate'], env);
    expect(text.code).toBe(0);
    const [, kid, activates] = /^new signing key (\S+) is published now and signs from ([^;\s]+)/.exec(text.stdout) ?? [];
    expect(text.stderr.split('\n')).toEqual([
      `idp: warning: 2 application(s) have not fetched the JWKS since ${kid} was published; they must before it signs at ${activates}:`,
      expect.stringMatching(new RegExp(`^  Fetches the JWKS \\(${fetching.clientId}\\): last JWKS fetch \\d{4}-\\d\\d-\\d\\dT`)),
      `  Never fetches (${silent.clientId}): no JWKS fetch seen from where it authenticates`,
      expect.stringMatching(/^idp: the admin Signing keys screen shows which have fetched it since/),
      '',
    ]);
  });

  it('says with --now that they refuse the new key’s tokens until they fetch it', async () => {
    const result = await runIdp(['keys', 'rotate', '--now'], env);
    expect(result.code).toBe(0);
    const [, kid] = /^new signing key (\S+) is active now/.exec(result.stdout) ?? [];
    expect(result.stderr).toContain(`idp: warning: 2 application(s) have not fetched the JWKS since ${kid} was published; they refuse the tokens it signs until they do:`);
  });
});
