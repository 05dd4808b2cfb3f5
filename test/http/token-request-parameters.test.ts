// The token request's parameters (RFC 6749 §3.2, §4.1.3, §5.2; RFC 7636 §4.5): which error each missing, empty,
// repeated or unsupported one earns, that the description names what is wrong, and that a refused request leaves
// the code redeemable (nothing was spent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { basic, tokenRequest, type TokenAnswer } from '../helpers/refresh.js';
import { countRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface Issued {
  code: string;
  start: AuthorizationStart;
}

describe('token request parameters (RFC 6749 §3.2, §4.1.3, §5.2)', () => {
  let app: RunningApp;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  const asClient = (forClient: TestClient) => ({ Authorization: basic(forClient.clientId, forClient.clientSecret ?? '') });

  /** A token request with a raw form body, so that a parameter can be repeated or sent empty. */
  const post = (body: string, forClient: TestClient = client) => tokenRequest(app, body, asClient(forClient));

  async function code(forClient: TestClient = client, extra: Record<string, string> = {}): Promise<Issued> {
    const start = await authorizationUrl(forClient, extra);
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    return { code: callback.searchParams.get('code') ?? '', start };
  }

  const fields = (issued: Issued, forClient: TestClient = client) => ({
    grant_type: 'authorization_code',
    code: issued.code,
    redirect_uri: forClient.redirectUri,
    code_verifier: issued.start.codeVerifier,
  });
  const form = (entries: Record<string, string>) => new URLSearchParams(entries).toString();

  function expectError(answer: TokenAnswer, error: string, description: RegExp): void {
    expect({ status: answer.status, error: answer.json.error }, JSON.stringify(answer.json)).toEqual({ status: 400, error });
    expect(answer.json.error_description).toMatch(description);
    expect(answer.json.access_token).toBeUndefined();
  }

  async function expectRedeemable(issued: Issued, forClient: TestClient = client): Promise<void> {
    const answer = await post(form(fields(issued, forClient)), forClient);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  }

  it('sends Pragma: no-cache with Cache-Control: no-store on every answer, success or error (RFC 6749 §5.1)', async () => {
    const ok = await post(form(fields(await code())));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('pragma')).toBe('no-cache');
    const refused = await post(form({ grant_type: 'password' }));
    expect(refused.status).toBe(400);
    expect(refused.headers.get('pragma')).toBe('no-cache');
  });

  describe('grant_type (RFC 6749 §4.1.3, §5.2)', () => {
    it('answers invalid_request, naming grant_type as missing, when it is absent or empty', async () => {
      const issued = await code();
      const { grant_type: _omitted, ...rest } = fields(issued);
      expectError(await post(form(rest)), 'invalid_request', /grant_type is missing/);
      expectError(await post(form({ ...rest, grant_type: '' })), 'invalid_request', /grant_type is missing/);
      await expectRedeemable(issued);
    });

    it('answers invalid_request to a repeated grant_type (RFC 6749 §3.2: parameters must not be included more than once)', async () => {
      const issued = await code();
      const answer = await post(`${form(fields(issued))}&grant_type=authorization_code`);
      expectError(answer, 'invalid_request', /grant_type.*more than once/);
      await expectRedeemable(issued);
    });

    it("answers unsupported_grant_type naming the grant type, also for a name found on every object's prototype", async () => {
      expectError(await post(form({ grant_type: 'password', username: 'ada@example.com', password: 'x' })), 'unsupported_grant_type', /password/);
      expectError(await post(form({ grant_type: 'constructor' })), 'unsupported_grant_type', /constructor/);
    });

    it('answers unauthorized_client to a grant type the client is not registered for, before the grant runs (RFC 6749 §5.2)', async () => {
      const codesOnly = await addClient(app, { name: 'Codes only', redirectUris: ['https://codes-only.example/cb'] });
      await app.store.clients.update(codesOnly.clientId, { grantTypes: ['authorization_code'] }, app.clock.now());
      const answer = await post(form({ grant_type: 'refresh_token', refresh_token: 'anything' }), codesOnly);
      expectError(answer, 'unauthorized_client', /refresh_token/);
    });
  });

  describe('code, redirect_uri and code_verifier (RFC 6749 §4.1.3, RFC 7636 §4.5)', () => {
    it('answers invalid_request to a repeated code, redirect_uri or code_verifier, naming it, and spends nothing', async () => {
      const issued = await code();
      for (const name of ['code', 'redirect_uri', 'code_verifier'] as const) {
        const answer = await post(`${form(fields(issued))}&${name}=${encodeURIComponent(fields(issued)[name])}`);
        expectError(answer, 'invalid_request', new RegExp(`^${name} is included more than once$`));
      }
      await expectRedeemable(issued);
    });

    it('answers invalid_request naming the code when it is missing or empty', async () => {
      const issued = await code();
      const { code: _omitted, ...rest } = fields(issued);
      expectError(await post(form(rest)), 'invalid_request', /code is missing/);
      expectError(await post(form({ ...rest, code: '' })), 'invalid_request', /code is missing/);
    });

    it('answers invalid_grant to a code it never issued, and issues nothing', async () => {
      const before = await countRows(app, 'SELECT count(*) AS n FROM access_tokens');
      const issued = await code();
      expectError(await post(form({ ...fields(issued), code: `${issued.code}x` })), 'invalid_grant', /code is invalid/);
      expect(await countRows(app, 'SELECT count(*) AS n FROM access_tokens')).toBe(before);
      await expectRedeemable(issued);
    });

    it('says which of redirect_uri is missing or does not match', async () => {
      const issued = await code();
      const { redirect_uri: _omitted, ...rest } = fields(issued);
      expectError(await post(form(rest)), 'invalid_request', /redirect_uri is missing/);
      expectError(await post(form({ ...rest, redirect_uri: 'https://rp.example/other' })), 'invalid_grant', /redirect_uri does not match/);
      await expectRedeemable(issued);
    });

    it('says that code_verifier is required, or does not match, for a code issued with a challenge (RFC 7636 §4.6)', async () => {
      const issued = await code();
      const { code_verifier: _omitted, ...rest } = fields(issued);
      expectError(await post(form(rest)), 'invalid_grant', /code_verifier is required/);
      expectError(await post(form({ ...rest, code_verifier: 'x'.repeat(43) })), 'invalid_grant', /code_verifier does not match/);
      await expectRedeemable(issued);
    });

    it('says that code_verifier was not expected for a code issued without a challenge', async () => {
      const optional = await addClient(app, { name: 'Optional PKCE', redirectUris: ['https://optional.example/cb'], pkce: 'optional' });
      const start = await authorizationUrl(optional);
      const url = new URL(start.url);
      url.searchParams.delete('code_challenge');
      url.searchParams.delete('code_challenge_method');
      const callback = await signIn(new Browser(), app, { ...start, url }, 'ada@example.com');
      const issued = { code: callback.searchParams.get('code') ?? '', start };
      expectError(await post(form(fields(issued, optional)), optional), 'invalid_grant', /code_verifier was sent for a code issued without a code_challenge/);
      const { code_verifier: _omitted, ...rest } = fields(issued, optional);
      expect((await post(form(rest), optional)).status).toBe(200);
    });
  });
});
