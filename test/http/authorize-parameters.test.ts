// How the authorization endpoint reads each parameter (OIDC Core §3.1.2.1, RFC 6749 §3.1 and §4.1.1, RFC 7636
// §4.3): bounds, empty values, repeated values, and what each refusal says. The redirect it answers with and
// what it keeps are in authorize-response.test.ts; the error classes themselves in authorize-errors.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { countRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const STATE = 'first state+/=';

describe('authorization request parameters (OIDC Core §3.1.2.1, RFC 6749 §3.1)', () => {
  let app: RunningApp;
  let client: TestClient;
  let optional: TestClient;

  const valid = (extra: Record<string, string> = {}): Record<string, string> => ({
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: STATE,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  });
  const without = (name: string, params = valid()) => Object.fromEntries(Object.entries(params).filter(([key]) => key !== name));
  const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const authorize = (rawQuery: string) => new Browser().get(`${app.config.issuer}/authorize?${rawQuery}`);
  const rows = () => countRows(app, 'SELECT (SELECT count(*) FROM authorization_requests) + (SELECT count(*) FROM authorization_codes) AS n');

  /** A redirect back to `client` with an error: its code and description, the state and iss it carries. */
  function errorIn(page: Page, to: TestClient = client) {
    expect(page.status, page.body).toBe(303);
    const location = new URL(page.location ?? '');
    expect(location.origin + location.pathname).toBe(to.redirectUri);
    return {
      error: location.searchParams.get('error'),
      description: location.searchParams.get('error_description') ?? '',
      state: location.searchParams.getAll('state'),
      iss: location.searchParams.get('iss'),
    };
  }

  /** An accepted request: the redirect to our login page (no session in a new Browser). */
  function expectLoginPage(page: Page): void {
    expect(page.status, page.location ?? page.body).toBe(303);
    expect(new URL(page.location ?? '').pathname).toBe('/login');
  }

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    client = await addClient(app, { redirectUris: ['https://rp.example/callback'] });
    optional = await addClient(app, { redirectUris: ['https://suite.example/cb'], pkce: 'optional' });
  });
  afterAll(() => app.stop());

  describe('the error page before the client is trusted says what is wrong', () => {
    const cases: [string, () => string, RegExp][] = [
      ['a missing client_id', () => query(without('client_id')), /client_id is missing/],
      ['an unknown client_id', () => query(valid({ client_id: 'nobody' })), /not registered with this sign-in service/],
      ['a repeated client_id (RFC 6749 §3.1)', () => `${query(valid())}&client_id=${client.clientId}`, /client_id is included more than once/],
      ['a missing redirect_uri', () => query(without('redirect_uri')), /redirect_uri is missing/],
      ['an unregistered redirect_uri', () => query(valid({ redirect_uri: 'https://evil.example/callback' })), /send you back to is not registered for it/],
    ];
    for (const [what, params, says] of cases) {
      it(`names ${what} on the 400 page`, async () => {
        const before = await rows();
        const page = await authorize(params());
        expect(page.status).toBe(400);
        expect(page.location).toBeNull();
        expect(page.body).toMatch(says);
        expect(await rows()).toBe(before);
      });
    }
  });

  describe('length of a value', () => {
    it('accepts a nonce of 4096 characters and refuses one of 4097 with invalid_request naming it', async () => {
      expectLoginPage(await authorize(query(valid({ nonce: 'n'.repeat(4096) }))));
      const before = await rows();
      const refused = errorIn(await authorize(query(valid({ nonce: 'n'.repeat(4097) }))));
      expect(refused).toMatchObject({ error: 'invalid_request', state: [STATE], iss: app.config.issuer });
      expect(refused.description).toContain('nonce');
      expect(refused.description).toContain('4096');
      expect(await rows()).toBe(before);
    });
  });

  describe('a parameter sent without a value is treated as omitted (RFC 6749 §3.1)', () => {
    it('answers an empty response_type as a missing one: invalid_request, not unsupported_response_type', async () => {
      const refused = errorIn(await authorize(query(valid({ response_type: '' }))));
      expect(refused.error).toBe('invalid_request');
      expect(refused.description).toContain('response_type');
    });

    it('accepts an empty max_age as no max_age', async () => {
      expectLoginPage(await authorize(query(valid({ max_age: '' }))));
    });

    it('echoes no state at all for an empty state', async () => {
      const refused = errorIn(await authorize(query(valid({ state: '', response_type: 'token' }))));
      expect(refused.error).toBe('unsupported_response_type');
      expect(refused.state).toEqual([]);
    });
  });

  describe('a repeated state (RFC 6749 §3.1)', () => {
    it('answers invalid_request naming state, and echoes the first value exactly', async () => {
      const refused = errorIn(await authorize(`${query(valid())}&state=second`));
      expect(refused).toMatchObject({ error: 'invalid_request', state: [STATE], iss: app.config.issuer });
      expect(refused.description).toContain('state');
    });
  });

  describe('max_age (OIDC Core §3.1.2.1: a number of seconds)', () => {
    for (const value of ['1a', 'a1', '12345678901', '-1', '1.5']) {
      it(`refuses max_age=${value} with invalid_request`, async () => {
        const refused = errorIn(await authorize(query(valid({ max_age: value }))));
        expect(refused.error).toBe('invalid_request');
        expect(refused.description).toContain('max_age');
      });
    }

    it('accepts ten digits', async () => {
      expectLoginPage(await authorize(query(valid({ max_age: '1234567890' }))));
    });
  });

  describe('acr_values (OIDC Core §3.1.2.1)', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `urn:example:acr:${i}`);

    it('accepts ten values, however many spaces separate them', async () => {
      expectLoginPage(await authorize(query(valid({ acr_values: `  ${values(10).join('   ')}  ` }))));
    });

    it('refuses eleven values with invalid_request naming acr_values', async () => {
      const before = await rows();
      const refused = errorIn(await authorize(query(valid({ acr_values: values(11).join(' ') }))));
      expect(refused).toMatchObject({ error: 'invalid_request', state: [STATE] });
      expect(refused.description).toContain('acr_values');
      expect(await rows()).toBe(before);
    });
  });

  describe('PKCE (RFC 7636 §4.3)', () => {
    it('refuses code_challenge_method without code_challenge, also from a client for which PKCE is optional', async () => {
      const params = { client_id: optional.clientId, redirect_uri: optional.redirectUri, response_type: 'code', scope: 'openid', state: STATE, code_challenge_method: 'S256' };
      const before = await rows();
      const refused = errorIn(await authorize(query(params)), optional);
      expect(refused).toMatchObject({ error: 'invalid_request', state: [STATE] });
      expect(refused.description).toContain('code_challenge_method');
      expect(await rows()).toBe(before);
    });
  });

  describe('code_challenge (RFC 7636 §4.2: BASE64URL of a SHA-256 hash, exactly 43 characters)', () => {
    for (const [what, challenge] of [
      ['44 characters', `${CHALLENGE}A`],
      ['a character outside base64url before 43 valid ones', `.${CHALLENGE}`],
      ['one after them', `${CHALLENGE}.`],
    ]) {
      it(`refuses a code_challenge of ${what} with invalid_request`, async () => {
        const refused = errorIn(await authorize(query(valid({ code_challenge: challenge ?? '' }))));
        expect(refused).toMatchObject({ error: 'invalid_request', state: [STATE] });
        expect(refused.description).toContain('code_challenge');
      });
    }
  });

  describe('response_mode (OAuth 2.0 Multiple Response Type Encoding Practices §2.1)', () => {
    it('accepts response_mode=query, the default for code', async () => {
      expectLoginPage(await authorize(query(valid({ response_mode: 'query' }))));
    });
  });

  describe('scope (OIDC Core §3.1.2.1: openid is required)', () => {
    it('answers invalid_scope for a request without scope', async () => {
      const refused = errorIn(await authorize(query(without('scope'))));
      expect(refused).toMatchObject({ error: 'invalid_scope', state: [STATE] });
    });
  });
});
