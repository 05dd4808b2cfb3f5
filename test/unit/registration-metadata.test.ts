// The pure parts of dynamic registration: how RFC 7591 metadata becomes createClient's settings (defaults included),
// and the per-client address rule of the URLs the server requests (allowsPrivateAddresses).
import { describe, expect, it } from 'vitest';
import { InvalidClientMetadata, InvalidRedirectUri, ValidationError } from '../../src/errors.js';
import { allowsPrivateAddresses } from '../../src/http/outbound-request.js';
import { readClientMetadata, registrationErrorOf } from '../../src/oidc/registration-metadata.js';

const REGISTER = { allowLoopbackPages: false, purpose: 'register' } as const;

describe('allowsPrivateAddresses', () => {
  it('lets an administrator’s client follow ALLOW_PRIVATE_CLIENT_URLS alone', () => {
    expect(allowsPrivateAddresses({ allowPrivateClientUrls: true, registrationAllowPrivateUrls: false }, { origin: 'admin' })).toBe(true);
    expect(allowsPrivateAddresses({ allowPrivateClientUrls: false, registrationAllowPrivateUrls: true }, { origin: 'admin' })).toBe(false);
  });

  it('needs both settings for a dynamically registered client', () => {
    expect(allowsPrivateAddresses({ allowPrivateClientUrls: true, registrationAllowPrivateUrls: false }, { origin: 'dynamic' })).toBe(false);
    expect(allowsPrivateAddresses({ allowPrivateClientUrls: false, registrationAllowPrivateUrls: true }, { origin: 'dynamic' })).toBe(false);
    expect(allowsPrivateAddresses({ allowPrivateClientUrls: true, registrationAllowPrivateUrls: true }, { origin: 'dynamic' })).toBe(true);
  });
});

describe('readClientMetadata', () => {
  it('defaults: the code grant, client_secret_basic, every scope, the first redirect URI’s host as the name', () => {
    const request = readClientMetadata({ redirect_uris: ['https://rp.example:8443/cb'] }, REGISTER);
    expect(request.settings).toMatchObject({ name: 'rp.example:8443', redirectUris: ['https://rp.example:8443/cb'], isPublic: false, secretPost: false, device: false, scopes: undefined });
    expect(request).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic', code: true, outbound: [] });
  });

  it('maps each authentication method', () => {
    const base = { redirect_uris: ['https://rp.example/cb'] };
    expect(readClientMetadata({ ...base, token_endpoint_auth_method: 'none' }, REGISTER).settings.isPublic).toBe(true);
    expect(readClientMetadata({ ...base, token_endpoint_auth_method: 'client_secret_post' }, REGISTER).settings.secretPost).toBe(true);
    const keys = readClientMetadata({ ...base, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://rp.example/jwks' }, REGISTER);
    expect(keys.settings.jwksUri).toBe('https://rp.example/jwks');
    expect(keys.outbound).toEqual([{ field: 'jwks_uri', uri: 'https://rp.example/jwks' }]);
  });

  it('reads a device-only client (no redirect URIs, no response type) and space-separated scopes', () => {
    const request = readClientMetadata({ grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], scope: 'openid  offline_access', client_name: 'TV' }, REGISTER);
    expect(request).toMatchObject({ code: false, settings: { device: true, redirectUris: [], scopes: ['openid', 'offline_access'] } });
  });

  it('treats null as absent (RFC 7592 §2.2: an omitted field is null)', () => {
    expect(readClientMetadata({ redirect_uris: ['https://rp.example/cb'], logo_uri: null, jwks_uri: null, contacts: null }, REGISTER).settings).toMatchObject({ logoUri: null });
  });

  it('allows http pages on loopback only when REGISTRATION_ALLOW_PRIVATE_URLS is true', () => {
    const metadata = { redirect_uris: ['https://rp.example/cb'], client_uri: 'http://127.0.0.1:3000/' };
    expect(() => readClientMetadata(metadata, REGISTER)).toThrow(InvalidClientMetadata);
    expect(readClientMetadata(metadata, { ...REGISTER, allowLoopbackPages: true }).settings.clientUri).toBe('http://127.0.0.1:3000/');
  });

  it('names the RFC 7591 field of a rule broken in createClient', () => {
    expect(registrationErrorOf(new ValidationError('redirect_uri', 'redirect_uri "x" must use https'))).toBeInstanceOf(InvalidRedirectUri);
    const name = registrationErrorOf(new ValidationError('name', 'the name must be at most 200 characters long'));
    expect(name).toBeInstanceOf(InvalidClientMetadata);
    expect(name.message).toBe('client_name: the name must be at most 200 characters long');
  });
});
