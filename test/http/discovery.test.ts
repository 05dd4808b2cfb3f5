import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('discovery (OpenID Connect Discovery 1.0 §4)', () => {
  let app: RunningApp;
  const discoveryUrl = () => `${app.url}/.well-known/openid-configuration`;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.stop());

  it('answers 200 JSON whose issuer is exactly ISSUER', async () => {
    const response = await fetch(discoveryUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(app.config.issuer);
  });

  it('lists exactly what is implemented: code flow with S256 PKCE, RS256 only (never none), signed request objects, pushed requests, refresh, revocation, introspection and logout', async () => {
    const metadata = (await (await fetch(discoveryUrl())).json()) as Record<string, unknown>;
    const issuer = app.config.issuer;
    expect(metadata).toEqual({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      jwks_uri: `${issuer}/jwks`,
      revocation_endpoint: `${issuer}/revoke`,
      introspection_endpoint: `${issuer}/introspect`,
      end_session_endpoint: `${issuer}/logout`,
      device_authorization_endpoint: `${issuer}/device_authorization`,
      pushed_authorization_request_endpoint: `${issuer}/par`,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access', 'groups'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      revocation_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      introspection_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
      code_challenge_methods_supported: ['S256'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'sid', 'at_hash', 'amr', 'acr', 'name', 'email', 'email_verified', 'groups'],
      acr_values_supported: ['urn:gatehouse:acr:password', 'urn:gatehouse:acr:mfa'],
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
      claims_parameter_supported: false,
      request_parameter_supported: true,
      request_object_signing_alg_values_supported: ['PS256', 'ES256', 'RS256'],
      request_uri_parameter_supported: false,
      require_pushed_authorization_requests: false,
      dpop_signing_alg_values_supported: ['ES256', 'PS256', 'EdDSA', 'RS256'],
      ui_locales_supported: ['en', 'de', 'fr', 'es', 'ja', 'ar'],
      claims_locales_supported: ['en'],
      authorization_response_iss_parameter_supported: true,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
  });

  it('advertises only endpoints that are served', async () => {
    const metadata = (await (await fetch(discoveryUrl())).json()) as Record<string, unknown>;
    const urls = Object.entries(metadata).filter(([key]) => key.endsWith('_uri') || key.endsWith('_endpoint'));
    expect(urls.map(([key]) => key).sort()).toEqual([
      'authorization_endpoint',
      'device_authorization_endpoint',
      'end_session_endpoint',
      'introspection_endpoint',
      'jwks_uri',
      'pushed_authorization_request_endpoint',
      'revocation_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
    ]);
    const postOnly = ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint', 'device_authorization_endpoint', 'pushed_authorization_request_endpoint'];
    for (const [key, url] of urls) {
      const response = await fetch(String(url), { method: postOnly.includes(key) ? 'POST' : 'GET' });
      // Served: answered by its route (a refusal of the empty request is fine), neither missing nor failing.
      expect(response.status, key).not.toBe(404);
      expect(response.status, key).toBeLessThan(500);
    }
  });

  it('is read by openid-client, a certified relying-party library', async () => {
    const config = await oidc.discovery(new URL(app.config.issuer), 'some-client', undefined, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().issuer).toBe(app.config.issuer);
    expect(config.serverMetadata().jwks_uri).toBe(`${app.config.issuer}/jwks`);
  });

  it('is cacheable, with an ETag answered by 304 Not Modified', async () => {
    const first = await fetch(discoveryUrl());
    expect(first.headers.get('cache-control')).toBe('public, max-age=3600');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const second = await fetch(discoveryUrl(), { headers: { 'If-None-Match': etag ?? '' } });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe('');
    const changed = await fetch(discoveryUrl(), { headers: { 'If-None-Match': '"something-else"' } });
    expect(changed.status).toBe(200);
  });

  it('may be fetched from any origin (CORS), including a preflighted conditional request', async () => {
    const response = await fetch(discoveryUrl(), { headers: { Origin: 'https://rp.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(discoveryUrl(), {
      method: 'OPTIONS',
      headers: { Origin: 'https://rp.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'if-none-match' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('If-None-Match');
  });
});

describe('an issuer with a path (OpenID Connect Discovery 1.0 §4.1)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp({ basePath: '/idp' });
  });
  afterAll(() => app.stop());

  it('serves discovery under the issuer path and advertises endpoints under it', async () => {
    expect(app.config.issuer).toMatch(/\/idp$/);
    const response = await fetch(`${app.config.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, string>;
    expect(metadata.issuer).toBe(app.config.issuer);
    expect(metadata.jwks_uri).toBe(`${app.config.issuer}/jwks`);
    expect((await fetch(metadata.jwks_uri ?? '')).status).toBe(200);
  });

  it('serves nothing at the root path', async () => {
    const root = new URL(app.config.issuer).origin;
    expect((await fetch(`${root}/.well-known/openid-configuration`)).status).toBe(404);
  });
});
