import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('health and readiness probes', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('answers /healthz with 200 while the process is up', async () => {
    const response = await fetch(`${app.url}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 while the store answers, and 503 once it does not', async () => {
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    await app.store.close();
    const unavailable = await fetch(`${app.url}/readyz`);
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toEqual({ status: 'unavailable' });
  });
});

describe('unknown paths', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('answers an unknown API path with 404 JSON', async () => {
    for (const path of ['/.well-known/nothing-here', '/jwks/extra', '/token']) {
      const response = await fetch(`${app.url}${path}`, { headers: { Accept: 'text/html' } });
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ error: 'not_found', error_description: `Nothing is served at ${path}.` });
    }
  });

  it('answers an unknown browser path with a 404 HTML page that escapes what it echoes', async () => {
    // fetch percent-encodes < > and quotes in a path; ' and & reach the page as they are.
    const response = await fetch(`${app.url}/it's&amp`, { headers: { Accept: 'text/html' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('Page not found');
    expect(html).not.toContain("it's&amp");
    expect(html).toContain('/it&#39;s&amp;amp');
  });

  it('answers JSON on a browser path when the client prefers JSON', async () => {
    const response = await fetch(`${app.url}/account/missing`, { headers: { Accept: 'application/json' } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toBe('not_found');
  });

  it('serves a home page and its stylesheet', async () => {
    const home = await fetch(`${app.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain(app.config.issuer);
    const css = await fetch(`${app.url}/static/gatehouse.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });
});

describe('security headers on every response (OWASP ASVS V14.4)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('sends a strict CSP, no framing, nosniff and no-referrer on pages, documents and errors', async () => {
    for (const path of ['/', '/jwks', '/.well-known/openid-configuration', '/healthz', '/nowhere']) {
      const response = await fetch(`${app.url}${path}`);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(response.headers.get('x-powered-by'), path).toBeNull();
      expect(response.headers.get('x-request-id'), path).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('does not send HSTS or upgrade-insecure-requests for a loopback http issuer', async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.headers.get('strict-transport-security')).toBeNull();
    expect(response.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
  });

  it('sends HSTS for an https issuer', async () => {
    const secure = await startApp({ env: { ISSUER: 'https://idp.example.test' } });
    try {
      const response = await fetch(`http://127.0.0.1:${secure.config.port}/healthz`);
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await secure.stop();
    }
  });
});

describe('request logs', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('log each request once with its id, method, path and status, and never the query string', async () => {
    const response = await fetch(`${app.url}/jwks?code=SECRET-CODE-123&access_token=SECRET-TOKEN-456`);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const lines = app.logs.filter((entry) => entry.reqId === requestId && entry.msg === 'request');
    expect(lines).toEqual([expect.objectContaining({ method: 'GET', path: '/jwks', status: 200 })]);
    const everything = JSON.stringify(app.logs);
    expect(everything).not.toContain('SECRET-CODE-123');
    expect(everything).not.toContain('SECRET-TOKEN-456');
  });
});
