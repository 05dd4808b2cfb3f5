// What the authorization endpoint answers and keeps (OIDC Core §3.1.2.5, RFC 6749 §4.1.2): the redirect to the
// client (its query, state only when sent), Cache-Control, the scopes granted, the values a pending sign-in
// keeps server-side, the second factor a one-factor session cannot stand in for, and the page and audit event
// of the per-address admission limit (issue 19, F9; the limit itself is in admission-limits.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA } from '../../src/auth/mfa-policy.js';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, open, submitLogin, type TestClient } from '../helpers/oidc.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { requestFrom } from './from-address.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('the authorization response and what a request keeps (OIDC Core §3.1.2.5, RFC 6749 §4.1.2)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;

  const params = (to: TestClient, extra: Record<string, string> = {}): Record<string, string> => ({
    client_id: to.clientId,
    redirect_uri: to.redirectUri,
    response_type: 'code',
    scope: 'openid',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  });
  const url = (query: Record<string, string>) => `${app.config.issuer}/authorize?${new URLSearchParams(query).toString()}`;

  /** The params of the pending request last stored for `clientId`, as the store keeps them. */
  async function storedFor(clientId: string): Promise<Record<string, string>> {
    const [row] = await queryRows<{ params: string }>(app, 'SELECT params FROM authorization_requests WHERE client_id = ? ORDER BY created_at DESC LIMIT 1', [clientId]);
    expect(row, `no pending request for ${clientId}`).toBeDefined();
    return JSON.parse(row?.params ?? '{}') as Record<string, string>;
  }

  /** A browser signed in with a password only (one factor), through `to`. */
  async function signedIn(to: TestClient): Promise<Browser> {
    const browser = new Browser();
    const start = await authorizationUrl(to);
    const answer = await submitLogin(browser, await open(browser, app, start.url), 'ada@example.com');
    expect(answer.status, answer.body).toBe(303);
    expect(new URL(answer.location ?? '').searchParams.get('code')).toBeTruthy();
    return browser;
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
    client = await addClient(app, { redirectUris: ['https://rp.example/callback'] });
  });
  afterAll(() => app.stop());

  describe('state (RFC 6749 §4.1.2: REQUIRED if it was in the request, exactly as received)', () => {
    it('sends no state with a code, or with an error, when the request had none or an empty one', async () => {
      const browser = await signedIn(client);
      for (const extra of [{}, { state: '' }] as Record<string, string>[]) {
        const answer = await browser.get(url(params(client, extra)));
        expect(answer.status).toBe(303);
        const location = new URL(answer.location ?? '');
        expect(location.searchParams.get('code')).toBeTruthy();
        expect([...location.searchParams.keys()].sort()).toEqual(['code', 'iss']);
        expect(answer.location).not.toContain('undefined');
      }
      const refused = await new Browser().get(url(params(client, { prompt: 'none' })));
      const location = new URL(refused.location ?? '');
      expect(location.searchParams.get('error')).toBe('login_required');
      expect([...location.searchParams.keys()].sort()).toEqual(['error', 'error_description', 'iss']);
    });
  });

  describe('a registered redirect URI with a query (OIDC Core §3.1.2.1: the query component is kept)', () => {
    for (const registered of ['https://rp.example/q?', 'https://rp.example/q?tenant=a&']) {
      it(`appends the parameters to ${registered} without adding a separator`, async () => {
        const withQuery = await addClient(app, { redirectUris: [registered] });
        const answer = await new Browser().get(url(params(withQuery, { state: 's', prompt: 'none' })));
        expect(answer.status).toBe(303);
        expect(answer.location?.startsWith(`${registered}error=login_required&`), answer.location ?? '').toBe(true);
      });
    }
  });

  describe('Cache-Control (RFC 6749 §5.1 by analogy: the answers carry single-use values)', () => {
    it('sends no-store with the redirect to the login page and with a code', async () => {
      const toLogin = await new Browser().get(url(params(client, { state: 's' })));
      expect(new URL(toLogin.location ?? '').pathname).toBe('/login');
      expect(toLogin.headers.get('cache-control')).toBe('no-store');
      const browser = await signedIn(client);
      const withCode = await browser.get(url(params(client, { state: 's' })));
      expect(new URL(withCode.location ?? '').searchParams.get('code')).toBeTruthy();
      expect(withCode.headers.get('cache-control')).toBe('no-store');
    });
  });

  describe('what a pending request keeps: the checked values, nothing more', () => {
    it('grants only the scopes asked for that are both supported and registered for the client (RFC 6749 §3.3)', async () => {
      const narrow = await addClient(app, { redirectUris: ['https://narrow.example/cb'] });
      await app.store.clients.update(narrow.clientId, { scopes: ['openid', 'email'] }, clock.now());
      const answer = await new Browser().get(url(params(narrow, { scope: 'openid  profile email unknown offline_access' })));
      expect(new URL(answer.location ?? '').pathname).toBe('/login');
      expect((await storedFor(narrow.clientId)).scope).toBe('openid email');
    });

    it('keeps the redirect URI, state, scope, nonce, challenge, login_hint and acr_values, and no empty or unsent values', async () => {
      const kept = await addClient(app, { redirectUris: ['https://kept.example/cb'] });
      await new Browser().get(url(params(kept, { scope: 'openid email' })));
      expect(await storedFor(kept.clientId)).toEqual({ redirect_uri: kept.redirectUri, scope: 'openid email', code_challenge: CHALLENGE });
      clock.advance(1_000);
      await new Browser().get(url(params(kept, { state: 's', nonce: 'n', login_hint: 'ada@example.com', acr_values: ` ${ACR_MFA}  urn:example:other `, prompt: 'login', max_age: '60' })));
      expect(await storedFor(kept.clientId)).toEqual({
        redirect_uri: kept.redirectUri,
        state: 's',
        scope: 'openid',
        nonce: 'n',
        code_challenge: CHALLENGE,
        login_hint: 'ada@example.com',
        acr_values: `${ACR_MFA} urn:example:other`,
      });
    });
  });

  describe("two factors asked for (OIDC Core §3.1.2.1 acr_values; the client's setting)", () => {
    it('still asks for them after the password: a person without a second factor gets unmet_authentication_requirements, never a code', async () => {
      const browser = new Browser();
      const start = await authorizationUrl(client, { acr_values: ACR_MFA });
      const answer = await submitLogin(browser, await open(browser, app, start.url), 'ada@example.com');
      expect(answer.status, answer.body).toBe(303);
      const callback = new URL(answer.location ?? '');
      expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
      expect(callback.searchParams.get('state')).toBe(start.state);
      expect(callback.searchParams.get('code')).toBeNull();
    });

    it('does not answer them from a one-factor session: login_required for prompt=none, the form otherwise', async () => {
      const browser = await signedIn(client);
      const strict = await addClient(app, { redirectUris: ['https://strict.example/cb'], requireMfa: true });
      const cases: [TestClient, Record<string, string>][] = [
        [client, { acr_values: ACR_MFA }],
        [strict, {}],
      ];
      for (const [to, extra] of cases) {
        const silent = await browser.get(url(params(to, { ...extra, state: 's', prompt: 'none' })));
        expect(new URL(silent.location ?? '').searchParams.get('error')).toBe('login_required');
        const shown: Page = await browser.get(url(params(to, { ...extra, state: 's' })));
        expect(new URL(shown.location ?? '').pathname).toBe('/login');
      }
      // The same session still answers a request that asks for one factor.
      const plain = await browser.get(url(params(client, { state: 's', prompt: 'none' })));
      expect(new URL(plain.location ?? '').searchParams.get('code')).toBeTruthy();
    });
  });

  describe('the admission limit per client address (issue 19, F9)', () => {
    it('audits the request that uses up the budget with its client, address and retry time, then shows too_many_requests on our own page', async () => {
      const ip = '127.0.3.1';
      const rule = THROTTLE_RULES.admission;
      for (let i = 1; i < rule.limit; i++) await app.store.throttle.attempt(`authorize:address:${ip}`, rule, clock.now());
      const last = await requestFrom(ip, url(params(client, { state: 's' })));
      expect(last.status).toBe(303);
      const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'admission.throttled' } });
      expect(event).toMatchObject({
        type: 'admission.throttled',
        actor: 'anonymous',
        subject: null,
        clientId: client.clientId,
        ip,
        outcome: 'failure',
        details: { scope: 'authorize', retry_after: rule.windowMs / 1000 },
      });
      const refused = await requestFrom(ip, url(params(client, { state: 's' })));
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('Too many sign-ins started');
      expect(refused.body).toContain('too_many_requests');
    });
  });
});
