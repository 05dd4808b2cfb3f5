// What the provider tests share (test/cli/provider*.test.ts, test/unit/manage-providers*.test.ts): two self-signed
// CA certificates (EC P-256, valid until 2126, made with openssl for these tests; their keys were thrown away) and
// the settings of one provider of each kind.
import type { ProviderInput } from '../../src/manage/providers.js';

export const CA_PEM = `
-----BEGIN CERTIFICATE-----
MIIBjzCCATWgAwIBAgIUUmMAyvsFuwD0ZSYY3pSeyi23ijUwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRVGVzdCBEaXJlY3RvcnkgQ0EwIBcNMjYxMjA3MDQxNTQ5WhgP
MjEyNjExMTMwNDE1NDlaMBwxGjAYBgNVBAMMEVRlc3QgRGlyZWN0b3J5IENBMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiYuiuDiX0A8fk+1nNEssRu1IgaYkBjn0
3Mc7yvcpoUO9LB6YPoH1eEFayKdZyL2lh3wD6bozLYer2XfOjTh5qqNTMFEwHQYD
VR0OBBYEFLelvO3L1//1ekJlS5RG2h7O2JgiMB8GA1UdIwQYMBaAFLelvO3L1//1
ekJlS5RG2h7O2JgiMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh
AMlaCmvSqyJVl4aF1dLkgP7f14g0EaZsaT4zfL75gbWJAiAbGtwnO1W+ZXrA2SM+
V1MzPamXRNDyIxYHY/wcBZDCDg==
-----END CERTIFICATE-----
`;

export const SECOND_CA_PEM = `
-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUbN8NkUfAojAAdf3F2dxqGNT8F/YwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJU2Vjb25kIENBMCAXDTI2MTIwNzA0MTU0OVoYDzIxMjYxMTEz
MDQxNTQ5WjAUMRIwEAYDVQQDDAlTZWNvbmQgQ0EwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATJZdjR77PPB82yg41DRK4oxfZi2mVSVx81EI7i5ir3C4ihHd+vp4vH
tnLHM1X77BqLbll17Lfnm1JBJ1gBDvo/o1MwUTAdBgNVHQ4EFgQUkIXh221o2caL
a/W6W0oIFeQyKSgwHwYDVR0jBBgwFoAUkIXh221o2caLa/W6W0oIFeQyKSgwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBDs5zoxL/VS2P/UuFvdLi+
guqIvkLbdka1PtJWXE5XLQIhAIDnfW2s2qMAzDu8N0u5i0UJhDmrJKcilAGj9t3t
Ybvh
-----END CERTIFICATE-----
`;

export const OIDC_SECRET = 'oidc-client-secret-3f9a1c';
export const OAUTH2_SECRET = 'github-client-secret-77d2e0';
export const LDAP_PASSWORD = 'ldap-bind-password-5b8e44';

export const OIDC_INPUT: ProviderInput = {
  slug: 'acme',
  kind: 'oidc',
  name: 'Acme Workspace',
  issuer: 'https://accounts.acme.example',
  clientId: 'gatehouse',
  clientSecret: OIDC_SECRET,
};

export const OAUTH2_INPUT: ProviderInput = {
  slug: 'github',
  kind: 'oauth2',
  name: 'GitHub',
  authorizationUrl: 'https://github.example/login/oauth/authorize',
  tokenUrl: 'https://github.example/login/oauth/access_token',
  userinfoUrl: 'https://api.github.example/user',
  clientId: 'Iv1.abc',
  clientSecret: OAUTH2_SECRET,
  scopes: ['read:user', 'user:email'],
};

export const LDAP_INPUT: ProviderInput = {
  slug: 'corp-ldap',
  kind: 'ldap',
  name: 'Corp directory',
  url: 'ldap://127.0.0.1:3389',
  bindDn: 'cn=gatehouse,ou=services,dc=corp,dc=example',
  bindPassword: LDAP_PASSWORD,
  userBase: 'ou=people,dc=corp,dc=example',
  userFilter: '(&(objectClass=inetOrgPerson)(mail={email}))',
};
