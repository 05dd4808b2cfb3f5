// How the token, introspection and revocation endpoints read client credentials (RFC 6749 §2.3.1): the
// client_secret_basic header (form-urlencoded id and secret, joined by the first colon, base64-encoded),
// client_secret_post, and a bare client_id for public clients; a malformed header, a parameter sent twice or two
// methods at once are refused with a clear error. Each request here introspects a junk token (RFC 7662): an
// authenticated client is answered 200 {"active": false}, a refused one 401 invalid_client or 400 invalid_request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { addClient, type TestClient } from '../helpers/oidc.js';
import { basic } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
  requestId: string;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks for the id and the secret: a space is a '+'. */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);

describe('client credentials at the token endpoints (RFC 6749 §2.3.1, OIDC Core §9)', () => {
  let app: RunningApp;
  let confidential: TestClient;
  let spa: TestClient;

  /** Introspects a junk token with this body and these headers. */
  async function introspect(body: string | Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${app.config.issuer}/introspect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: typeof body === 'string' ? body : new URLSearchParams({ token: 'not-a-token', ...body }).toString(),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown>, requestId: response.headers.get('x-request-id') ?? '' };
  }

  const served = (answer: Answer) => expect({ status: answer.status, json: answer.json }).toEqual({ status: 200, json: { active: false } });

  /** RFC 6749 §5.2: 401 invalid_client, and a Basic challenge when the client tried the Authorization header. */
  function expectInvalidClient(answer: Answer, description: RegExp): void {
    expect([answer.status, answer.json.error], JSON.stringify(answer.json)).toEqual([401, 'invalid_client']);
    expect(answer.headers.get('www-authenticate')).toBe('Basic realm="gatehouse"');
    expect(answer.json.error_description).toMatch(description);
  }

  function expectInvalidRequest(answer: Answer, description: RegExp): void {
    expect([answer.status, answer.json.error], JSON.stringify(answer.json)).toEqual([400, 'invalid_request']);
    expect(answer.json.error_description).toMatch(description);
  }

  /** A confidential client registered straight in the store, with an id and a secret of our choosing. */
  async function registerConfidential(clientId: string, secret: string): Promise<void> {
    await app.store.clients.create(
      {
        clientId,
        name: `Client ${clientId}`,
        clientType: 'confidential',
        secretHash: hashSecret(secret),
        tokenEndpointAuthMethod: 'client_secret_basic',
        redirectUris: ['https://legacy.example/cb'],
        postLogoutRedirectUris: [],
        backchannelLogoutUri: null,
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: ['openid'],
        pkceRequired: true,
      },
      app.clock.now(),
    );
  }

  beforeAll(async () => {
    app = await startApp();
    confidential = await addClient(app);
    spa = await addClient(app, { name: 'SPA', redirectUris: ['https://spa.example/'], isPublic: true });
  });
  afterAll(() => app.stop());

  const right = () => b64(`${confidential.clientId}:${confidential.clientSecret ?? ''}`);

  describe('client_secret_basic', () => {
    it('decodes the form-urlencoded id and secret (RFC 6749 §2.3.1): "+" is a space and %XX an octet, so either may hold a colon', async () => {
      const clientId = 'legacy app:one';
      const secret = 'pass word:+%é';
      await registerConfidential(clientId, secret);
      const header = `Basic ${b64(`${formEncode(clientId)}:${formEncode(secret)}`)}`;
      expect(`${formEncode(clientId)}:${formEncode(secret)}`).toBe('legacy+app%3Aone:pass+word%3A%2B%25%C3%A9');
      served(await introspect({}, { Authorization: header }));
      // The same id and secret percent-encoded throughout are the same credentials.
      served(await introspect({}, { Authorization: basic(clientId, secret) }));
      expectInvalidClient(await introspect({}, { Authorization: `Basic ${b64(`${formEncode(clientId)}:${formEncode('pass word:+%e')}`)}` }), /failed/);
    });

    it('accepts a client id of a single character: the separator may be the second character', async () => {
      await registerConfidential('x', 'secret-of-x');
      served(await introspect({}, { Authorization: basic('x', 'secret-of-x') }));
      expectInvalidClient(await introspect({}, { Authorization: basic('x', 'wrong') }), /failed/);
    });

    it('accepts the scheme name in any case (RFC 9110 §11.1)', async () => {
      served(await introspect({}, { Authorization: `basic ${right()}` }));
      served(await introspect({}, { Authorization: `BASIC ${right()}` }));
    });

    it.each([
      ['credentials that are not base64', 'Basic !!!not-base64!!!'],
      ['an id and secret with no colon', `Basic ${b64('just-an-id')}`],
      ['an empty client id', `Basic ${b64(':some-secret')}`],
      ['the scheme name alone', 'Basic'],
      ['the scheme name and spaces only', 'Basic   '],
    ])('answers 401 invalid_client with a Basic challenge to a header holding %s (RFC 6749 §5.2)', async (_name, header) => {
      expectInvalidClient(await introspect({}, { Authorization: header }), /Authorization header/);
    });

    it('refuses the right credentials with anything before or after them in the header', async () => {
      for (const header of [`Basic ${right()} extra`, `Basic ${right()}!`, `Basic junk ${right()}`, `Basic Basic ${right()}`]) {
        expectInvalidClient(await introspect({}, { Authorization: header }), /Authorization header/);
      }
      served(await introspect({}, { Authorization: `Basic ${right()}` }));
    });

    it('answers 401 invalid_client with a Basic challenge to an id or secret that is not correctly percent-encoded', async () => {
      for (const pair of [`%zz:${confidential.clientSecret ?? ''}`, `${confidential.clientId}:%E0%A4%A`]) {
        expectInvalidClient(await introspect({}, { Authorization: `Basic ${b64(pair)}` }), /encoded/);
      }
    });

    it('answers invalid_request to credentials in both the header and the body (RFC 6749 §2.3: one method per request)', async () => {
      const answer = await introspect({ client_secret: confidential.clientSecret ?? '' }, { Authorization: `Basic ${right()}` });
      expectInvalidRequest(answer, /Authorization header.*body/);
    });

    it("accepts a client_id in the body that repeats the header's, and answers invalid_request to one that differs", async () => {
      served(await introspect({ client_id: confidential.clientId }, { Authorization: `Basic ${right()}` }));
      expectInvalidRequest(await introspect({ client_id: spa.clientId }, { Authorization: `Basic ${right()}` }), /client_id/);
    });
  });

  describe('client_secret_post and public clients', () => {
    it('reads no other Authorization scheme as client credentials: a client_secret_post request with a Bearer header is served', async () => {
      const post = { client_id: confidential.clientId, client_secret: confidential.clientSecret ?? '' };
      served(await introspect(post, { Authorization: 'Bearer some-access-token' }));
      served(await introspect(post, { Authorization: `Bearer Basic ${right()}` }));
      served(await introspect({ client_id: spa.clientId }, { Authorization: 'Bearer some-access-token' }));
    });

    it.each(['client_id', 'client_secret'])('answers invalid_request, naming the parameter, to %s sent twice', async (name) => {
      const fields: [string, string][] = [
        ['token', 'not-a-token'],
        ['client_id', confidential.clientId],
        ['client_secret', confidential.clientSecret ?? ''],
        [name, 'again'],
      ];
      const answer = await introspect(new URLSearchParams(fields).toString());
      expectInvalidRequest(answer, new RegExp(name));
      // Sent once, the same credentials are served.
      served(await introspect(new URLSearchParams(fields.slice(0, 3)).toString()));
    });
  });

  describe('what the log says of a refusal', () => {
    const refusal = (answer: Answer) => app.logs.find((line) => line.reqId === answer.requestId && line.msg === 'request refused');

    it("logs why each client authentication failed, bounding the sender's client id to 200 characters and never the secret", async () => {
      const secret = 'a-guessed-secret-that-must-not-be-logged';
      const longId = `unknown-${'z'.repeat(1000)}`;
      const cases: [Answer, RegExp][] = [
        [await introspect({}, { Authorization: basic(longId, secret) }), new RegExp(`^unknown client ${longId.slice(0, 200)}$`)],
        [await introspect({}, { Authorization: basic(confidential.clientId, secret) }), /wrong client secret/],
        [await introspect({ client_id: spa.clientId, client_secret: secret }), /public client presented a secret/],
        [await introspect({ client_id: confidential.clientId }), /presented no secret/],
      ];
      for (const [answer, detail] of cases) {
        expect(answer.status).toBe(401);
        expect(refusal(answer)).toMatchObject({ error: 'invalid_client', detail: expect.stringMatching(detail) });
      }
      expect(JSON.stringify(app.logs)).not.toContain(secret);
    });
  });
});
