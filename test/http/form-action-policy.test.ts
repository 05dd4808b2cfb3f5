// A page whose form leads to an application widens the Content-Security-Policy's form-action to that application's
// origin (browsers apply form-action to the redirect after the post) and changes nothing else of the site-wide
// policy: on an https issuer, upgrade-insecure-requests stays (OWASP ASVS V3.4).
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/manage/clients.js';
import { Browser } from '../helpers/browser.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const directives = (policy: string | null) =>
  new Map(
    (policy ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name ?? '', values]),
  );

describe('the form-action policy of a sign-in for an application', () => {
  let app: RunningApp;
  let base: string;
  let clientId: string;

  beforeAll(async () => {
    app = await startApp({ env: { ISSUER: 'https://idp.example.test' } });
    base = `http://127.0.0.1:${app.config.port}`;
    const ctx = { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config };
    ({
      client: { clientId },
    } = await createClient(ctx, { name: 'Wiki', redirectUris: ['https://wiki.example.com/callback'] }));
  });
  afterAll(() => app.stop());

  it('on an https issuer, widens form-action to the application and keeps upgrade-insecure-requests and the rest', async () => {
    const browser = new Browser();
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: 'https://wiki.example.com/callback',
      scope: 'openid',
      state: 's',
      nonce: 'n',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const authorize = await browser.get(`${base}/authorize?${query.toString()}`);
    expect(authorize.status).toBe(303);
    const login = await browser.get(`${base}${new URL(authorize.location ?? '').pathname}${new URL(authorize.location ?? '').search}`);
    expect(login.status, login.body).toBe(200);
    const sitewide = directives((await browser.get(`${base}/forgot-password`)).headers.get('content-security-policy'));
    const policy = directives(login.headers.get('content-security-policy'));
    expect(policy.get('form-action')).toEqual(["'self'", 'https://wiki.example.com']);
    expect(policy.has('upgrade-insecure-requests')).toBe(true);
    for (const [name, values] of sitewide) if (name !== 'form-action') expect(policy.get(name), name).toEqual(values);
    expect([...policy.keys()].sort()).toEqual([...sitewide.keys()].sort());
  });
});
