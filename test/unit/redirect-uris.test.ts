import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { checkClientUri } from '../../src/manage/redirect-uris.js';

const FIELD = 'redirect_uri';

/** Runs the check and returns the ValidationError it throws; fails the test if it throws nothing or something else. */
function refusal(uri: string, field = FIELD): ValidationError {
  let caught: unknown;
  try {
    checkClientUri(uri, field);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${JSON.stringify(uri)} to be refused`).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.field).toBe(field);
  // The operator reads which field and which URI were refused.
  expect(error.message.startsWith(`${field} `)).toBe(true);
  expect(error.message).toContain(JSON.stringify(uri));
  return error;
}

describe('accepted client URIs (OIDC Core §3.1.2.1, RFC 9700 §2.1)', () => {
  it.each(['https://app.example.com/callback', 'https://app.example.com/oidc/callback?tenant=acme&x=1', 'https://app.example.com:8443/cb', 'https://app.example.com'])(
    'accepts https %j',
    (uri) => {
      expect(() => checkClientUri(uri, FIELD)).not.toThrow();
    },
  );

  it.each(['http://localhost:8080/callback', 'http://localhost/callback', 'http://127.0.0.1:49152/cb', 'http://127.1.2.3:3000/cb', 'http://[::1]:8080/callback'])(
    'accepts http on the loopback host of %j (RFC 8252 §7.3)',
    (uri) => {
      expect(() => checkClientUri(uri, FIELD)).not.toThrow();
    },
  );

  it('accepts a URI of exactly 2000 characters', () => {
    const base = 'https://app.example.com/';
    const uri = base + 'a'.repeat(2000 - base.length);
    expect(uri).toHaveLength(2000);
    expect(() => checkClientUri(uri, FIELD)).not.toThrow();
  });
});

describe('refused client URIs (OIDC Core §3.1.2.1, RFC 9700 §2.1, RFC 6749 §3.1.2)', () => {
  it.each(['/callback', 'callback', 'app.example.com/callback', '//app.example.com/cb', '', 'https://'])('refuses the relative or unparsable %j', (uri) => {
    expect(refusal(uri).message).toMatch(/absolute URL/);
  });

  it.each(['https://app.example.com/cb#state', 'https://app.example.com/cb#', 'http://localhost:8080/#/callback'])('refuses the fragment in %j', (uri) => {
    expect(refusal(uri).message).toMatch(/fragment/);
  });

  it.each([
    'http://example.com/callback',
    'http://app.example.com:8080/cb',
    'http://10.0.0.1/callback',
    'http://192.168.1.5:3000/cb',
    'http://localhost.example.com/cb',
    'http://127.0.0.1.nip.io/cb',
    'http://[::2]/cb',
  ])('refuses http on the non-loopback host of %j', (uri) => {
    expect(refusal(uri).message).toMatch(/not loopback/);
  });

  it.each(['com.example.app:/callback', 'myapp://callback', 'javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'ftp://app.example.com/cb', 'file:///tmp/cb'])(
    'refuses the scheme of %j',
    (uri) => {
      expect(refusal(uri).message).toMatch(/must use https/);
    },
  );

  it.each(['https://user:secret@app.example.com/cb', 'https://user@app.example.com/cb', 'http://admin:x@localhost:8080/cb'])('refuses the credentials in %j', (uri) => {
    expect(refusal(uri).message).toMatch(/credentials/);
  });

  it.each([' https://app.example.com/cb', 'https://app.example.com/cb ', 'https://app.example.com/cb\n', '\thttps://app.example.com/cb', 'https://app.example.com/c\u0000b'])(
    'refuses surrounding whitespace or control characters in %j, which URL parsing would silently strip',
    (uri) => {
      expect(refusal(uri).message).toMatch(/whitespace or control/);
    },
  );

  it('refuses a URI longer than 2000 characters', () => {
    const base = 'https://app.example.com/';
    const uri = base + 'a'.repeat(2001 - base.length);
    expect(uri).toHaveLength(2001);
    expect(refusal(uri).message).toMatch(/longer than 2000 characters/);
  });

  it('names the field it was given', () => {
    const error = refusal('http://example.com/logged-out', 'post_logout_redirect_uri');
    expect(error.field).toBe('post_logout_redirect_uri');
  });
});
