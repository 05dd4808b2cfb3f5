// Discovery and JWKS are answered on a node:http fast path ahead of Express (src/http/public-documents.ts); a
// query string sends the same request through the Express routes. Both ways must answer alike, header for header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('discovery and JWKS on the fast path answer exactly as the Express routes do', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** Status, body and headers, without the two that differ by nature (Date, the request id's value). */
  async function answer(path: string, init: RequestInit = {}) {
    const response = await fetch(`${app.url}${path}`, init);
    const headers = Object.fromEntries([...response.headers].filter(([name]) => name !== 'date'));
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    delete headers['x-request-id'];
    return { status: response.status, headers, body: await response.text() };
  }

  for (const path of ['/.well-known/openid-configuration', '/jwks']) {
    it(`GET ${path}, taking the fast path (no info request line, which Express writes)`, async () => {
      const requestLines = () => app.logs.filter((line) => line.msg === 'request' && String(line.path).startsWith(path)).length;
      const before = requestLines();
      const fast = await answer(path);
      expect(fast.status).toBe(200);
      expect(requestLines()).toBe(before);
      expect(fast).toEqual(await answer(`${path}?via=express`));
      expect(requestLines()).toBe(before + 1);
    });

    it(`HEAD ${path}, without a body`, async () => {
      const fast = await answer(path, { method: 'HEAD' });
      expect(fast.body).toBe('');
      expect(fast).toEqual(await answer(`${path}?via=express`, { method: 'HEAD' }));
    });

    it(`a conditional GET of ${path} with its current ETag (304, RFC 9110 §13.1.2)`, async () => {
      const etag = (await fetch(`${app.url}${path}`)).headers.get('etag') ?? '';
      const fast = await answer(path, { headers: { 'If-None-Match': `W/${etag}` } });
      expect(fast.status).toBe(304);
      expect(fast).toEqual(await answer(`${path}?via=express`, { headers: { 'If-None-Match': `W/${etag}` } }));
    });

    it(`the CORS preflight of ${path}`, async () => {
      const init = { method: 'OPTIONS', headers: { Origin: 'https://rp.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'if-none-match' } };
      const fast = await answer(path, init);
      expect(fast.status).toBe(204);
      expect(fast).toEqual(await answer(`${path}?via=express`, init));
    });
  }

  it('leaves every other method to Express (405-style refusals stay where they are)', async () => {
    const response = await fetch(`${app.url}/jwks`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
