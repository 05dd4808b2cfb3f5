// docs/fapi2-self-check.md, held to what it says (issue 28): every test it cites exists under that title, every
// source file it names exists, every requirement has one of the statuses the page defines, and the discovery
// document of a running Gatehouse says what the page's last table says. A few requirements no other suite proves
// are proved here: an access token in the query of /userinfo is refused (FAPI 2.0 §5.3.4 (2)), and a pushed
// request is answered with a code, `iss` and a 303 (§5.3.2.2 (7), (10), (11)).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, submitLogin, type TestClient } from '../helpers/oidc.js';
import { basic, tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = readFileSync(`${ROOT}docs/fapi2-self-check.md`, 'utf8');

/** The statuses the page defines ("How a status reads"); a row's status starts with one of them. */
const STATUSES = ['Met', 'Deployment choice', 'Partly met', 'Not met'];

/** `test/….test.ts` › "title": the citations of the page. */
function citations(markdown: string): { file: string; title: string }[] {
  return [...markdown.matchAll(/`(test\/[^`]+\.test\.ts)` › "([^"]+)"/g)].map(([, file = '', title = '']) => ({ file, title }));
}

/** The rows of the requirement tables: those under a "§" heading, without the header and separator rows. */
function requirementRows(markdown: string): string[][] {
  const rows: string[][] = [];
  let inRequirements = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ')) inRequirements = line.startsWith('## §');
    if (!inRequirements || !line.startsWith('| ') || line.startsWith('| # ') || line.startsWith('| ---')) continue;
    rows.push(line.split(' | ').map((cell) => cell.replace(/^\| |\s*\|$/g, '').trim()));
  }
  return rows;
}

/** The "What discovery says" table: each field with its value (the first code span of the value cell, as JSON). */
function advertised(markdown: string): Map<string, unknown> {
  const section = markdown.slice(markdown.indexOf('## What discovery says'));
  const fields = new Map<string, unknown>();
  for (const [, field = '', value = ''] of section.matchAll(/^\| `([a-z_]+)` \| `([^`]+)`/gm)) fields.set(field, JSON.parse(value));
  return fields;
}

/** Whether `source` has a test or block of exactly this title, quoted as a string literal. */
function hasTitle(source: string, title: string): boolean {
  return [`'${title}'`, `"${title}"`, `\`${title}\``].some((literal) => source.includes(literal));
}

describe('docs/fapi2-self-check.md', () => {
  it('cites only tests that exist, by file and title', () => {
    const cited = citations(PAGE);
    expect(cited.length).toBeGreaterThan(30);
    const missing = cited.filter(({ file, title }) => !existsSync(`${ROOT}${file}`) || !hasTitle(readFileSync(`${ROOT}${file}`, 'utf8'), title));
    expect(missing).toEqual([]);
  });

  it('names only source files that exist', () => {
    const named = [...new Set([...PAGE.matchAll(/`(src\/[^`]+\.ts)`/g)].map(([, file = '']) => file))];
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((file) => !existsSync(`${ROOT}${file}`))).toEqual([]);
  });

  it('gives every requirement five cells and a status the page defines, and leaves nothing pending', () => {
    const rows = requirementRows(PAGE);
    expect(rows.length).toBeGreaterThan(35);
    expect(rows.filter((row) => row.length !== 5)).toEqual([]);
    expect(rows.filter(([, , status = '']) => !STATUSES.some((defined) => status.startsWith(defined))).map(([number, requirement]) => `${number} ${requirement}`)).toEqual([]);
    expect(PAGE).not.toMatch(/PENDING|TODO/);
  });
});

describe('what the page says of a running Gatehouse', () => {
  let app: RunningApp;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    client = await addClient(app, { scopes: ['openid', 'email', 'profile', 'offline_access'] });
  });
  afterAll(() => app?.stop());

  const discovery = async (issuer: string) => (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;

  it('advertises what this page says', async () => {
    const metadata = await discovery(app.config.issuer);
    const fields = advertised(PAGE);
    expect(fields.size).toBeGreaterThanOrEqual(10);
    for (const [field, value] of fields) expect([field, metadata[field]]).toEqual([field, value]);
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${app.config.issuer}/par`);
    expect(metadata.grant_types_supported).not.toContain('password');
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
  });

  it('says require_pushed_authorization_requests: true under REQUIRE_PAR=true', async () => {
    const strict = await startApp({ env: { REQUIRE_PAR: 'true' } });
    try {
      expect((await discovery(strict.config.issuer)).require_pushed_authorization_requests).toBe(true);
    } finally {
      await strict.stop();
    }
  });

  it('refuses an access token in the query of /userinfo', async () => {
    const tokens = await tokensFor(app, client, new Browser(), 'openid email');
    const inQuery = await fetch(`${app.config.issuer}/userinfo?access_token=${encodeURIComponent(tokens.access_token)}`);
    expect(inQuery.status).toBe(401);
    // No token was seen: the bare challenge of a request without one (RFC 6750 §3.1), no error attribute.
    expect(inQuery.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(inQuery.headers.get('www-authenticate')).not.toMatch(/error=/);
    // The same token in the header is good: the query was the only thing wrong.
    const inHeader = await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(inHeader.status).toBe(200);
  });

  it('answers a pushed request with a code, iss and a 303', async () => {
    const start = await authorizationUrl(client);
    const pushed = await fetch(`${app.config.issuer}/par`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client.clientId, client.clientSecret ?? '') },
      body: new URLSearchParams(start.url.searchParams).toString(),
    });
    expect(pushed.status).toBe(201);
    const { request_uri: requestUri, expires_in: expiresIn } = (await pushed.json()) as { request_uri: string; expires_in: number };
    expect(expiresIn).toBeLessThan(600);
    const browser = new Browser();
    const login = await open(browser, app, `${app.config.issuer}/authorize?${new URLSearchParams({ client_id: client.clientId, request_uri: requestUri }).toString()}`);
    const answer = await submitLogin(browser, login, 'ada@example.com');
    expect(answer.status).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.origin + callback.pathname).toBe(client.redirectUri);
    expect(callback.searchParams.get('iss')).toBe(app.config.issuer);
    expect(callback.searchParams.get('state')).toBe(start.state);
    expect(callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
