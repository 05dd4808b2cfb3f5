import { describe, expect, it } from 'vitest';
import type { Response } from 'express';
import { loadConfig } from '../../src/config.js';
import { Cookies } from '../../src/http/cookies.js';

function setCookieLine(issuer: string): string {
  const headers: string[] = [];
  const res = { append: (_name: string, value: string) => headers.push(value) } as unknown as Response;
  new Cookies(loadConfig({ ISSUER: issuer }, '/srv')).set(res, 'session', 'value', 60);
  return headers[0] ?? '';
}

describe('cookies (OWASP ASVS V3.4, RFC 6265bis cookie prefixes)', () => {
  it('are __Host- prefixed, Secure, HttpOnly, SameSite=Lax and Path=/ on an https issuer', () => {
    const line = setCookieLine('https://idp.example.com');
    expect(line).toMatch(/^__Host-gatehouse_session=value; Max-Age=60; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(line).not.toMatch(/Domain=/i);
  });

  it('drop the prefix and Secure only on a loopback http issuer', () => {
    expect(setCookieLine('http://localhost:3000')).toBe('gatehouse_session=value; Max-Age=60; Path=/; HttpOnly; SameSite=Lax');
  });
});
