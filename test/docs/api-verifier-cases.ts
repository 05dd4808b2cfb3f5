// One set of tokens and one set of expectations for the API verifiers of docs/integrating.md section 10 (Node.js,
// Python, Go): each documented program, run as a reader would run it, must accept access tokens minted for its
// API (a person's and a machine's) and refuse every token an API must refuse. A real Gatehouse issues the tokens.
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/manage/apis.js';
import { createClient } from '../../src/manage/clients.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { forgeries, type Forgery } from '../helpers/forged-tokens.js';
import { addUser, manage, open, submitLogin } from '../helpers/oidc.js';
import { basic } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import type { Run } from './documented-snippets.js';

export const ORDERS_API = 'https://api.example.com/orders';
export const BILLING_API = 'https://api.example.com/billing';
const SHOP_REDIRECT = 'https://shop.example.com/callback';
const HOUR = 3_600_000;

/** Runs the documented verifier with a token and ISSUER, API_IDENTIFIER, REQUIRED_SCOPE. */
export type Verify = (token: string, env: Record<string, string>) => Promise<Run>;

export interface Issued {
  app: RunningApp;
  ada: UserRecord;
  shop: { clientId: string; clientSecret: string };
  machine: { clientId: string; clientSecret: string };
  /** Ada's token for the orders API (resource on the authorization request), scope orders:read orders:write. */
  person: string;
  /** The machine client's token for the orders API (client credentials), scope orders:read. */
  machineToken: string;
  /** Ada's token without resource: for userinfo, as before issue 22. */
  forUserinfo: string;
  /** Ada's token for the billing API. */
  forBilling: string;
  idToken: string;
  /** The machine's token issued an hour before the others: expired for any real clock. */
  expired: string;
}

async function tokenRequest(app: RunningApp, fields: Record<string, string>, client: { clientId: string; clientSecret: string }): Promise<Record<string, string>> {
  const response = await fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client.clientId, client.clientSecret) },
    body: new URLSearchParams(fields),
  });
  const body = (await response.json()) as Record<string, string>;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

export function machineToken(app: RunningApp, machine: { clientId: string; clientSecret: string }, resource = ORDERS_API, scope = 'orders:read'): Promise<string> {
  return tokenRequest(app, { grant_type: 'client_credentials', resource, scope }, machine).then((body) => body.access_token ?? '');
}

/** A code flow of the shop for Ada (signed in once in `browser`), with `extra` on the authorization request. */
async function shopTokens(
  app: RunningApp,
  shop: { clientId: string; clientSecret: string },
  browser: Browser,
  scope: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${app.config.issuer}/authorize`);
  const params = {
    response_type: 'code',
    client_id: shop.clientId,
    redirect_uri: SHOP_REDIRECT,
    scope,
    state: randomBytes(8).toString('base64url'),
    nonce: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  let page = await open(browser, app, url);
  if (page.status === 200) page = await submitLogin(browser, page, 'ada@example.com');
  expect(page.status, page.body).toBe(303);
  const code = new URL(page.location ?? '').searchParams.get('code') ?? '';
  expect(code, page.location ?? '').not.toBe('');
  return tokenRequest(app, { grant_type: 'authorization_code', code, redirect_uri: SHOP_REDIRECT, code_verifier: verifier }, shop);
}

/**
 * A Gatehouse whose clock starts an hour behind (for the expired token), with two APIs, a web client granted both, a
 * machine client granted orders:read, Ada, and the tokens of Issued.
 */
export async function issueTokens(): Promise<Issued> {
  const clock = new FakeClock(Date.now() - HOUR);
  const app = await startApp({ clock });
  const ctx = manage(app);
  await createApi(ctx, {
    name: 'Orders API',
    identifier: ORDERS_API,
    scopes: [
      { name: 'orders:read', description: 'Read your orders' },
      { name: 'orders:write', description: 'Place orders' },
    ],
  });
  await createApi(ctx, { name: 'Billing API', identifier: BILLING_API, scopes: [{ name: 'billing:read', description: 'Read your invoices' }] });
  const shopClient = await createClient(ctx, {
    name: 'Shop',
    redirectUris: [SHOP_REDIRECT],
    apis: {
      request: [
        { api: ORDERS_API, scopes: null },
        { api: BILLING_API, scopes: null },
      ],
      introspect: [],
    },
  });
  const machineClient = await createClient(ctx, { name: 'Nightly export', redirectUris: [], machine: true, apis: { request: [{ api: ORDERS_API, scopes: ['orders:read'] }], introspect: [] } });
  const shop = { clientId: shopClient.client.clientId, clientSecret: shopClient.clientSecret ?? '' };
  const machine = { clientId: machineClient.client.clientId, clientSecret: machineClient.clientSecret ?? '' };
  const ada = await addUser(app);

  const expired = await machineToken(app, machine);
  clock.advance(HOUR);

  const browser = new Browser();
  const forOrders = await shopTokens(app, shop, browser, 'openid email orders:read orders:write', { resource: ORDERS_API });
  const forUserinfo = await shopTokens(app, shop, browser, 'openid email');
  const forBilling = await shopTokens(app, shop, browser, 'openid billing:read', { resource: BILLING_API });
  return {
    app,
    ada,
    shop,
    machine,
    person: forOrders.access_token ?? '',
    machineToken: await machineToken(app, machine),
    forUserinfo: forUserinfo.access_token ?? '',
    forBilling: forBilling.access_token ?? '',
    idToken: forOrders.id_token ?? '',
    expired,
  };
}

/** The public key that signed `token`, from the JWKS: what the forgeries key HS256 with. */
async function publicJwkOf(app: RunningApp, token: string): Promise<JWK> {
  const { keys } = (await (await fetch(`${app.config.issuer}/jwks`)).json()) as { keys: JWK[] };
  const key = keys.find((candidate) => candidate.kid === decodeProtectedHeader(token).kid);
  if (!key) throw new Error('the signing key is not in the JWKS');
  return key;
}

/** Every expectation of section 10's verifiers, for the documented program of `language`. */
export function describeApiVerifier(language: string, prepare: (issued: Issued) => Promise<Verify>, setupTimeout = 60_000): void {
  describe(`the ${language} API verifier of docs/integrating.md section 10`, () => {
    let issued: Issued;
    let verify: Verify;
    const env = (requiredScope: string, audience = ORDERS_API) => ({ ISSUER: issued.app.config.issuer, API_IDENTIFIER: audience, REQUIRED_SCOPE: requiredScope });
    const refusal = async (token: string, requiredScope = 'orders:read') => {
      const result = await verify(token, env(requiredScope));
      expect(result.code, result.stdout).not.toBe(0);
      expect(result.stdout).toBe('');
      return result.stderr;
    };

    beforeAll(async () => {
      issued = await issueTokens();
      verify = await prepare(issued);
    }, setupTimeout);

    afterAll(async () => {
      await issued?.app.stop();
    });

    it("accepts a person's token for the API, with the scope the call needs, and prints its subject, client and scope", async () => {
      expect(decodeJwt(issued.person)).toMatchObject({ aud: ORDERS_API, scope: 'orders:read orders:write' });
      const result = await verify(issued.person, env('orders:write'));
      expect(result, result.stderr).toMatchObject({ code: 0, stdout: `sub=${issued.ada.id} client_id=${issued.shop.clientId} scope=orders:read orders:write` });
    });

    it("accepts a machine client's token (client credentials), whose subject is the client itself", async () => {
      const result = await verify(issued.machineToken, env('orders:read'));
      expect(result, result.stderr).toMatchObject({ code: 0, stdout: `sub=${issued.machine.clientId} client_id=${issued.machine.clientId} scope=orders:read` });
    });

    it('refuses a genuine token without the scope the call needs', async () => {
      expect(await refusal(issued.machineToken, 'orders:write')).toMatch(/^refused: .*scope orders:write/);
    });

    it('refuses a genuine token for userinfo and one for another API: the audience is not this API', async () => {
      expect(decodeJwt(issued.forUserinfo).aud).toBe(`${issued.app.config.issuer}/userinfo`);
      expect(await refusal(issued.forUserinfo)).toMatch(/^refused: .*aud/i);
      expect(decodeJwt(issued.forBilling).aud).toBe(BILLING_API);
      expect(await refusal(issued.forBilling)).toMatch(/^refused: .*aud/i);
      // The same billing token is good for the billing API's verifier.
      const billing = await verify(issued.forBilling, env('billing:read', BILLING_API));
      expect(billing, billing.stderr).toMatchObject({ code: 0 });
    });

    it('refuses an ID token (typ JWT, not at+jwt)', async () => {
      expect(await refusal(issued.idToken)).toMatch(/^refused: .*(typ|aud)/i);
    });

    it('refuses an expired token', async () => {
      expect(await refusal(issued.expired)).toMatch(/^refused: .*\bexp/i);
    });

    it('refuses a token whose signature was tampered with', async () => {
      const [header, payload, signature = ''] = issued.person.split('.');
      const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      expect(await refusal(forged)).toMatch(/^refused: .*signature/i);
    });

    it("refuses the person's token signed by a foreign key, unsigned (alg none) and as HS256 keyed with our public key", async () => {
      const forged: Forgery[] = await forgeries(issued.person, await publicJwkOf(issued.app, issued.person));
      for (const { name, token } of forged) {
        const result = await verify(token, env('orders:read'));
        expect(result.code, `${name}: ${result.stdout}`).not.toBe(0);
        expect(result.stderr, name).toMatch(/^refused: /);
      }
    });
  });
}
