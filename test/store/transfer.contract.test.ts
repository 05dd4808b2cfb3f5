// Store contract: the transfer repository behind `idp export` / `idp import` (src/store/transfer/tables.ts). Rows
// read from one engine and loaded into another (every pair of engines) come back as the same records; a load
// is all or nothing and only into an empty store.
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { MANAGE_SCOPES } from '../../src/store/records.js';
import type { Store, TransferBatch } from '../../src/store/store.js';
import { NOT_TRANSFERRED, TRANSFER_TABLES, transferTable, type TransferRow } from '../../src/store/transfer/tables.js';
import { expectUnbrokenChain } from './chain-check.js';
import {
  engines,
  newAccessToken,
  newApi,
  newClient,
  newFederationState,
  newOrdersApi,
  newCode,
  newProvider,
  newRegistrationToken,
  newSession,
  newToken,
  newUser,
  T0,
  MINUTE,
  type Engine,
  type OpenedStore,
} from './engines.js';

/**
 * A little of everything, with the awkward values: booleans both ways, NULLs, a consumed code, a rotated token,
 * a deleted user (whose id is retired), audit events with and without an application and an outcome, second
 * factors confirmed and pending, used and not, and (issue 22) APIs with grants of every kind, private_key_jwt
 * clients, resources on codes and refresh tokens, a machine's opaque token, device authorizations and used
 * client assertion jtis, and (issue 28) the PAR and DPoP client flags, DPoP-bound tokens and code, pushed requests and
 * used request-object and proof jtis.
 */
const JWKS = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' }] });

const DAY = 24 * 60 * MINUTE;

/** Issue 28: a DPoP key's RFC 7638 thumbprint. */
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

const LOGO = { contentType: 'image/png', data: Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)) } as const;
const FAVICON = { contentType: 'image/svg+xml', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') } as const;

async function seed(store: Store): Promise<void> {
  await store.users.create(newUser('u1', 'Ada@Example.com', { name: 'Ada', isAdmin: true, emailVerified: true, locale: 'de', timeZone: 'Europe/Berlin' }), T0);
  await store.users.create(newUser('u2', 'grace@example.com', { disabled: true, hasPassword: false }), T0 + 1);
  // Issue 25: a language without a time zone; the saved brand, at version 2, with images of every byte value.
  await store.users.update('u2', { locale: 'ar' }, T0 + 1);
  await store.branding.save({ name: 'Acme ✓', color: '#0a5fff', logo: LOGO, favicon: FAVICON }, 0, 'u1', T0);
  await store.branding.save({ css: ':root { --accent: #0a5fff } /* "✓" */' }, 1, null, T0 + 1);
  await store.users.create(newUser('gone', 'gone@example.com'), T0);
  await store.users.delete('gone');
  // Groups, their members and the client rules naming them, and attributes with values (issue 21).
  await store.groups.create({ id: 'g1', name: 'Staff', description: 'Everyone on staff', requireMfa: true }, T0);
  await store.groups.create({ id: 'g2', name: 'app-admins', description: '' }, T0);
  await store.groups.addMember('g1', 'u1', T0);
  await store.groups.addMember('g2', 'u1', T0);
  await store.groups.addMember('g1', 'u2', T0);
  await store.clients.create(
    newClient('rp', 'Relying party', {
      postLogoutRedirectUris: ['https://rp.example/bye'],
      pkceRequired: false,
      requireMfa: true,
      accessPolicy: 'groups',
      accessGroups: ['g1'],
      groupsClaim: { kind: 'prefix', prefix: 'app-' },
      claimGroups: ['g2'],
      initiateLoginUri: 'https://rp.example/login',
      logoUri: 'https://rp.example/logo.png',
      accessContact: 'Ask the help desk',
    }),
    T0,
  );
  await store.clients.create(newClient('spa', 'Single page', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' }), T0);
  // APIs and what clients may do with them, private_key_jwt clients (issue 22).
  await store.clients.create(
    newClient('m2m', 'Nightly job', { secretHash: null, tokenEndpointAuthMethod: 'private_key_jwt', redirectUris: [], grantTypes: ['client_credentials'], scopes: [], jwks: JWKS }),
    T0,
  );
  await store.clients.create(newClient('tv', 'Television', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none', jwksUri: null }), T0);
  await store.clients.create(newClient('cli', 'CLI', { secretHash: null, tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://cli.example/jwks.json' }), T0);
  // Issue 24: a dynamically registered third-party client with the pages it names, consents (the union of two, one
  // used), and initial access tokens: one partly used, one unlimited without an expiry.
  await store.clients.create(
    newClient('dyn', 'Registered ✓', {
      thirdParty: true,
      origin: 'dynamic',
      clientUri: 'https://dyn.example/',
      policyUri: 'https://dyn.example/privacy?a=1&b="2"',
      tosUri: null,
      registrationTokenHash: 'hash-of-rat',
    }),
    T0,
  );
  await store.consents.grant('u1', 'dyn', ['openid', 'email'], T0 + 1);
  await store.consents.grant('u1', 'dyn', ['offline_access', 'openid'], T0 + 2);
  await store.consents.touch('u1', 'dyn', T0 + 3);
  await store.consents.grant('u2', 'dyn', ['openid'], T0 + 4);
  await store.registrationTokens.create(newRegistrationToken('rt-1', { usesLeft: 2 }));
  await store.registrationTokens.use('hash-of-rt-1', T0 + 1);
  await store.registrationTokens.create(newRegistrationToken('rt-open', { usesLeft: null, expiresAt: null, createdBy: 'u1' }));
  await store.apis.create(newOrdersApi('See "orders" ✓', ''), T0);
  await store.apis.create(newApi('api-billing', 'Billing', 'http://127.0.0.1:9000/billing'), T0 + 1);
  await store.apis.setGrants('rp', [
    { apiId: 'api-orders', role: 'request', scopes: ['orders:read'] },
    { apiId: 'api-billing', role: 'request', scopes: null },
  ]);
  // Issue 26: the built-in management API, granted to the machine, and an API whose updates moved its version on.
  await store.apis.create(newApi('api-manage', 'Gatehouse management API', 'https://idp.example/api/v1', { scopes: [{ name: 'manage:users', description: 'Users' }], builtIn: true }), T0 + 2);
  await store.apis.update('api-billing', { name: 'Billing ✓' }, T0 + 3);
  await store.apis.setGrants('m2m', [
    { apiId: 'api-billing', role: 'request', scopes: [] },
    { apiId: 'api-manage', role: 'request', scopes: ['manage:users'] },
    { apiId: 'api-orders', role: 'introspect', scopes: null },
  ]);
  // Issue 26: personal tokens for the management API (one acting as an admin and used, one the operator's and
  // revoked), and webhook endpoints with their patterns, enabled and not, their secrets sealed.
  await store.adminTokens.create({
    id: 'at-1',
    tokenHash: 'hash-of-at-1',
    userId: 'u1',
    scopes: ['manage:users', 'manage:clients'],
    description: 'Provisioning ✓',
    createdBy: 'u1',
    createdAt: T0,
    expiresAt: T0 + 90 * DAY,
  });
  await store.adminTokens.touch('at-1', T0 + 3);
  await store.adminTokens.create({ id: 'at-2', tokenHash: 'hash-of-at-2', userId: null, scopes: [...MANAGE_SCOPES], description: null, createdBy: 'cli', createdAt: T0 + 1, expiresAt: T0 + DAY });
  await store.adminTokens.revoke('at-2', T0 + 2);
  await store.webhooks.create({ id: 'wh-1', url: 'https://siem.example/hook', description: 'SIEM ✓', secretSealed: 'sealed-wh-1', eventTypes: ['signin.failed', 'user.*'], enabled: true }, T0);
  await store.webhooks.create({ id: 'wh-2', url: 'https://off.example/hook', description: null, secretSealed: 'sealed-wh-2', eventTypes: ['*'], enabled: false }, T0 + 1);
  await store.attributes.define({ name: 'department', type: 'string', claim: 'department', scope: 'org', userVisible: true }, T0);
  await store.attributes.define({ name: 'projects', type: 'list', claim: 'projects', scope: 'org', userVisible: false }, T0);
  await store.attributes.setValue('u1', 'department', 'R&D "labs"', T0);
  await store.attributes.setValue('u1', 'projects', ['a', 'b, c'], T0);
  await store.attributes.setValue('u2', 'department', 'Sales', T0);
  // Upstream providers and linked identities (issue 23): settings as written, a sealed secret and none, booleans
  // both ways; the upstream provider a sign-in went through on its session, code, refresh token and device approval.
  await store.identityProviders.create(
    newProvider('acme', 'Acme ✓', { buttonLabel: 'Acme SSO', jit: true, allowedDomains: ['example.com'], trustEmail: true, trustMfa: true, groupsMode: 'replace' }),
    T0,
  );
  await store.identityProviders.create(newProvider('corp-dir', 'Directory', { kind: 'ldap', enabled: false, secret: null, settings: '{"url":"ldaps://dir.example"}' }), T0 + 1);
  await store.federatedIdentities.link({ providerSlug: 'acme', subject: 'sub-1', userId: 'u1', email: 'ada@example.com', createdAt: T0 });
  await store.federatedIdentities.touch('acme', 'sub-1', 'ada@example.com', T0 + 2);
  await store.federatedIdentities.link({ providerSlug: 'corp-dir', subject: 'cn=grace', userId: 'u2', email: null, createdAt: T0 + 1 });
  await store.federationStates.create(newFederationState('fs-1', { kind: 'link', userId: 'u1' }));
  await store.sessions.create(newSession('s-fed', 'u1', { amr: ['fed'], idp: 'acme' }));
  await store.codes.create(newCode('c-fed', 'u1', 'rp', { sessionIdHash: 's-fed', amr: ['fed'], idp: 'acme' }));
  await store.refreshTokens.create(newToken('t-fed', 'u1', 'rp', { grantId: 'grant-fed', amr: ['fed'], idp: 'acme' }));
  await store.sessions.create(newSession('s1', 'u1'));
  await store.sessions.addClient('sid-s1', 'rp', T0 + 2);
  await store.authorizationRequests.create({ idHash: 'r1', browserHash: 'b1', clientId: 'spa', params: { scope: 'openid', state: 'ü ✓' }, createdAt: T0, expiresAt: T0 + MINUTE });
  await store.codes.create(newCode('c1', 'u1', 'rp', { sessionIdHash: 's1', nonce: 'n', codeChallenge: 'x'.repeat(43), codeChallengeMethod: 'S256' }));
  await store.codes.consume('c1', T0 + 3);
  await store.codes.create(newCode('c2', 'u1', 'rp', { resources: ['https://orders.example/api', 'http://127.0.0.1:9000/billing'] }));
  await store.refreshTokens.create(newToken('t1', 'u1', 'rp', { kid: 'k1' }));
  await store.refreshTokens.rotate('t1', T0 + 4);
  await store.refreshTokens.create(newToken('t2', 'u1', 'rp', { resources: ['https://orders.example/api'] }));
  await store.accessTokens.create(newAccessToken('j1', { sessionIdHash: 's1', kid: 'k1', expiresAt: T0 + MINUTE }));
  await store.accessTokens.create(
    newAccessToken('opaque-hash', { clientId: 'm2m', userId: null, format: 'opaque', audience: 'http://127.0.0.1:9000/billing', scope: 'pay', authTime: null, expiresAt: T0 + MINUTE }),
  );
  // Device authorizations: one waiting with a slowed-down interval, one approved and not yet spent, one denied.
  const device = (hash: string) => ({
    deviceCodeHash: hash,
    userCodeHash: `user-${hash}`,
    clientId: 'tv',
    scope: 'openid orders:read',
    resources: ['https://orders.example/api'],
    createdAt: T0,
    expiresAt: T0 + 10 * MINUTE,
    interval: 5,
  });
  await store.deviceCodes.create(device('d-pending'));
  await store.deviceCodes.poll('d-pending', T0 + 1);
  await store.deviceCodes.poll('d-pending', T0 + 2);
  await store.deviceCodes.create(device('d-approved'));
  await store.deviceCodes.approve('user-d-approved', { userId: 'u1', sessionIdHash: 's1', sid: 'sid-s1', amr: ['pwd', 'otp'], authTime: T0 }, T0 + 3);
  await store.deviceCodes.create(device('d-fed'));
  await store.deviceCodes.approve('user-d-fed', { userId: 'u1', sessionIdHash: 's-fed', sid: 'sid-s-fed', amr: ['fed'], idp: 'acme', authTime: T0 }, T0 + 3);
  await store.deviceCodes.create(device('d-denied'));
  await store.deviceCodes.deny('user-d-denied', T0 + 3);
  await store.clientAssertions.use('m2m', 'jti-used', T0 + 5 * MINUTE);
  // Issue 28: a client requiring PAR and DPoP, DPoP-bound tokens and code, pushed requests (one spent), used jtis.
  await store.clients.create(
    newClient('fapi', 'FAPI ✓', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none', requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true }),
    T0,
  );
  await store.codes.create(newCode('c-dpop', 'u1', 'fapi', { dpopJkt: JKT }));
  await store.refreshTokens.create(newToken('t-dpop', 'u1', 'fapi', { grantId: 'grant-dpop', jkt: JKT }));
  await store.accessTokens.create(newAccessToken('j-dpop', { clientId: 'fapi', jkt: JKT, expiresAt: T0 + MINUTE }));
  await store.pushedRequests.create({
    uriHash: 'par-live',
    clientId: 'fapi',
    params: { scope: 'openid', dpop_jkt: JKT, resource: ['https://orders.example/api'] },
    createdAt: T0,
    expiresAt: T0 + MINUTE,
  });
  await store.pushedRequests.create({ uriHash: 'par-spent', clientId: 'fapi', params: { scope: 'openid' }, createdAt: T0, expiresAt: T0 + MINUTE });
  await store.pushedRequests.consume('par-spent', 'fapi', T0 + 1);
  await store.usedJtis.use('dpop_proof', JKT, 'proof-used', T0 + 2 * MINUTE);
  await store.usedJtis.use('request_object', 'fapi', 'ro-used', T0 + 60 * MINUTE);
  await store.totp.begin({ userId: 'u1', sealedSecret: 'sealed-u1', createdAt: T0 });
  await store.totp.confirm('u1', 56_666_666, T0 + 1);
  await store.totp.begin({ userId: 'u2', sealedSecret: 'sealed-u2', createdAt: T0 });
  await store.recoveryCodes.replace('u1', ['rc-a', 'rc-b', 'rc-c'], T0);
  await store.recoveryCodes.consume('u1', 'rc-b', T0 + 2);
  const passkey = { userId: 'u1', publicKey: 'pQECAyYg', counter: 0, createdAt: T0 } as const;
  await store.passkeys.create({ ...passkey, credentialId: 'pk-1', name: 'Laptop', transports: ['internal', 'hybrid'], deviceType: 'multiDevice', backedUp: true });
  await store.passkeys.create({ ...passkey, credentialId: 'pk-2', name: 'Key', transports: [], deviceType: 'singleDevice', backedUp: false, createdAt: T0 + 1 });
  await store.passkeys.recordUse('pk-2', 2 ** 32 - 1, T0 + 3);
  await store.signInChallenges.create({ idHash: 'ch-1', purpose: 'second_factor', browserHash: 'b1', userId: 'u1', value: 'pwd', createdAt: T0, expiresAt: T0 + MINUTE });
  await store.signInChallenges.create({ idHash: 'ch-2', purpose: 'passkey_sign_in', browserHash: 'b2', userId: null, value: 'challenge', createdAt: T0, expiresAt: T0 + MINUTE });
  await store.signInChallenges.consume('ch-1', 'second_factor', T0 + 4);
  for (const type of ['user.created', 'client.created', 'session.started']) {
    await store.audit.append({ at: T0, type, actor: 'cli', subject: 'u1', ip: null, details: { b: 1, a: [true, null] } });
  }
  await store.audit.append({ at: T0 + 5, type: 'signin.failed', actor: 'anonymous', subject: 'u1', clientId: 'rp', ip: '203.0.113.7', outcome: 'failure', details: {} });
}

async function readAll(store: Store): Promise<Map<string, TransferRow[]>> {
  return store.transfer.snapshot(async (reader) => {
    const tables = new Map<string, TransferRow[]>();
    for (const table of TRANSFER_TABLES) {
      const rows: TransferRow[] = [];
      // A batch size of 2 makes every table with more rows than that arrive in several batches.
      for await (const batch of reader.rows(table, 2)) rows.push(...batch);
      expect(rows).toHaveLength(await reader.count(table));
      tables.set(table.name, rows);
    }
    return tables;
  });
}

async function* batchesOf(tables: Map<string, TransferRow[]>): AsyncGenerator<TransferBatch> {
  for (const table of TRANSFER_TABLES) {
    const rows = tables.get(table.name) ?? [];
    if (rows.length > 0) yield { table, rows };
  }
}

async function withStores(engines: Engine[], use: (...stores: Store[]) => Promise<void>): Promise<void> {
  const opened: OpenedStore[] = [];
  try {
    for (const engine of engines) opened.push(await engine.open());
    await use(...opened.map((o) => o.store));
  } finally {
    for (const o of opened) await o.destroy();
  }
}

const pairs = engines.flatMap((from) => engines.map((to) => [`${from.name} → ${to.name}`, from, to] as const));

describe.each(pairs)('moving a store %s', (_name, from, to) => {
  it('reads every table as portable values and loads them into an empty store as the same records', async () => {
    await withStores([from, to], async (source, target) => {
      await seed(source);
      const tables = await readAll(source);
      expect(tables.get('users')?.map((row) => [row.id, row.is_admin, row.disabled, row.name, row.has_password, row.locale, row.time_zone])).toEqual([
        ['u1', true, false, 'Ada', true, 'de', 'Europe/Berlin'],
        ['u2', false, true, null, false, 'ar', null],
      ]);
      // Issue 25: the brand's one row, its images as base64 text.
      expect(tables.get('branding')).toEqual([
        {
          id: 1,
          name: 'Acme ✓',
          color: '#0a5fff',
          logo: LOGO.data.toString('base64'),
          logo_type: 'image/png',
          favicon: FAVICON.data.toString('base64'),
          favicon_type: 'image/svg+xml',
          css: ':root { --accent: #0a5fff } /* "✓" */',
          version: 2,
          updated_at: T0 + 1,
          updated_by: null,
        },
      ]);
      // Issue 23: the providers as stored (the sealed secret as is, for the transfer to re-seal), their identities.
      expect(tables.get('identity_providers')).toEqual([
        {
          slug: 'acme',
          kind: 'oidc',
          name: 'Acme ✓',
          button_label: 'Acme SSO',
          icon_url: null,
          enabled: true,
          settings: newProvider('acme', 'Acme ✓').settings,
          secret: 'sealed-secret-of-acme',
          jit: true,
          allowed_domains: '["example.com"]',
          trust_email: true,
          trust_mfa: true,
          groups_mode: 'replace',
          created_at: T0,
          updated_at: T0,
        },
        expect.objectContaining({ slug: 'corp-dir', kind: 'ldap', enabled: false, secret: null, jit: false, settings: '{"url":"ldaps://dir.example"}', groups_mode: 'ignore' }),
      ]);
      expect(tables.get('federated_identities')).toEqual([
        { provider_slug: 'acme', subject: 'sub-1', user_id: 'u1', email: 'ada@example.com', created_at: T0, last_used_at: T0 + 2 },
        { provider_slug: 'corp-dir', subject: 'cn=grace', user_id: 'u2', email: null, created_at: T0 + 1, last_used_at: null },
      ]);
      expect(tables.get('sessions')?.map((row) => [row.id_hash, row.idp])).toEqual([
        ['s-fed', 'acme'],
        ['s1', null],
      ]);
      expect(tables.get('audit_events')?.map((row) => row.id)).toEqual([1, 2, 3, 4]);
      expect(tables.get('retired_subjects')?.map((row) => row.id)).toEqual(['gone']);
      expect(tables.get('audit_chain_head')).toHaveLength(1);
      expect(tables.get('clients')?.map((row) => [row.client_id, row.require_mfa, row.jwks_uri])).toEqual([
        ['cli', false, 'https://cli.example/jwks.json'],
        ['dyn', false, null],
        ['fapi', false, null],
        ['m2m', false, null],
        ['rp', true, null],
        ['spa', false, null],
        ['tv', false, null],
      ]);
      expect(tables.get('client_apis')?.map((row) => [row.client_id, row.api_id, row.role, row.scopes])).toEqual([
        ['m2m', 'api-billing', 'request', '[]'],
        ['m2m', 'api-manage', 'request', '["manage:users"]'],
        ['m2m', 'api-orders', 'introspect', null],
        ['rp', 'api-billing', 'request', null],
        ['rp', 'api-orders', 'request', '["orders:read"]'],
      ]);
      expect(tables.get('apis')?.map((row) => [row.id, row.token_lifetime, row.built_in, row.version])).toEqual([
        ['api-billing', null, false, 2],
        ['api-manage', null, true, 1],
        ['api-orders', 900, false, 1],
      ]);
      // Issue 26: versions move (an If-Match read before the move holds after it), tokens as hashes, sealed secrets as
      // stored (the transfer re-seals them), patterns apart; the delivery queue and the sightings do not move.
      expect(tables.get('users')?.map((row) => [row.id, row.version])).toEqual([
        ['u1', 1],
        ['u2', 2],
      ]);
      expect(tables.get('admin_tokens')?.map((row) => [row.id, row.token_hash, row.user_id, row.scopes, row.revoked_at, row.last_used_at])).toEqual([
        ['at-1', 'hash-of-at-1', 'u1', 'manage:users manage:clients', null, T0 + 3],
        ['at-2', 'hash-of-at-2', null, MANAGE_SCOPES.join(' '), T0 + 2, null],
      ]);
      expect(tables.get('webhooks')?.map((row) => [row.id, row.secret_sealed, row.enabled])).toEqual([
        ['wh-1', 'sealed-wh-1', true],
        ['wh-2', 'sealed-wh-2', false],
      ]);
      expect(tables.get('webhook_event_types')).toEqual([
        { webhook_id: 'wh-1', pattern: 'signin.failed' },
        { webhook_id: 'wh-1', pattern: 'user.*' },
        { webhook_id: 'wh-2', pattern: '*' },
      ]);
      expect(tables.get('passkeys')?.map((row) => [row.credential_id, row.backed_up, row.counter])).toEqual([
        ['pk-1', true, 0],
        ['pk-2', false, 2 ** 32 - 1],
      ]);
      expect(tables.get('recovery_codes')?.map((row) => [row.code_hash, row.used_at])).toEqual([
        ['rc-a', null],
        ['rc-b', T0 + 2],
        ['rc-c', null],
      ]);

      await target.transfer.load(batchesOf(tables));
      expect(await readAll(target)).toEqual(tables);
      // Through the repositories, as the application reads them.
      expect(await target.users.findByEmail('ada@example.com')).toEqual(await source.users.findByEmail('ada@example.com'));
      expect(await target.clients.findById('spa')).toEqual(await source.clients.findById('spa'));
      expect(await target.clients.findById('rp')).toEqual(await source.clients.findById('rp'));
      expect(await target.clients.findById('rp')).toMatchObject({ accessPolicy: 'groups', accessGroups: ['g1'], claimGroups: ['g2'], groupsClaim: { kind: 'prefix', prefix: 'app-' } });
      // Groups, memberships and attributes move with the people.
      expect(await target.groups.groupsOf('u1')).toEqual(await source.groups.groupsOf('u1'));
      expect(await target.groups.groupsOf('u1')).toEqual([
        { id: 'g2', name: 'app-admins', requireMfa: false },
        { id: 'g1', name: 'Staff', requireMfa: true },
      ]);
      expect(await target.groups.findByName('staff')).toEqual(await source.groups.findByName('staff'));
      expect(await target.groups.list({ limit: 10 })).toEqual(await source.groups.list({ limit: 10 }));
      expect(await target.attributes.list()).toEqual(await source.attributes.list());
      expect(await target.attributes.valuesOf('u1')).toEqual({ department: 'R&D "labs"', projects: ['a', 'b, c'] });
      expect((await target.users.list({ limit: 10, inGroup: 'g1' })).items.map((user) => user.id)).toEqual(['u1', 'u2']);
      // Second factors move with the people, used steps and codes included.
      expect(await target.totp.find('u1')).toEqual(await source.totp.find('u1'));
      expect(await target.totp.find('u2')).toMatchObject({ confirmedAt: null });
      expect(await target.totp.useStep('u1', 56_666_666)).toBe(false);
      expect(await target.recoveryCodes.countUnused('u1')).toBe(2);
      expect(await target.recoveryCodes.consume('u1', 'rc-b', T0 + 5)).toBe(false);
      expect(await target.passkeys.listForUser('u1')).toEqual(await source.passkeys.listForUser('u1'));
      expect(await target.signInChallenges.findLive('ch-1', 'second_factor', T0)).toBeNull();
      expect(await target.signInChallenges.findLive('ch-2', 'passkey_sign_in', T0)).toEqual(await source.signInChallenges.findLive('ch-2', 'passkey_sign_in', T0));
      expect(await target.sessions.clientsOf('sid-s1')).toEqual(['rp']);
      expect(await target.codes.consume('c1', T0 + 5)).toBeNull();
      expect(await target.refreshTokens.rotate('t1', T0 + 5)).toBeNull();
      expect(await target.refreshTokens.rotate('t2', T0 + 5)).toMatchObject({ tokenHash: 't2', amr: ['pwd', 'mfa'], resources: ['https://orders.example/api'] });
      expect(await target.audit.list({ limit: 10 })).toEqual(await source.audit.list({ limit: 10 }));
      // Issue 22: APIs and grants, key-authenticated clients, resources, a machine's token, device authorizations
      // in every state, and the jtis already used.
      expect(await target.apis.list({ limit: 10 })).toEqual(await source.apis.list({ limit: 10 }));
      expect(await target.apis.accessOf('rp')).toEqual(await source.apis.accessOf('rp'));
      expect(await target.apis.accessOf('m2m')).toEqual(await source.apis.accessOf('m2m'));
      expect((await target.apis.accessOf('rp')).map(({ apiId, scopes }) => [apiId, scopes])).toEqual([
        ['api-billing', null],
        ['api-orders', ['orders:read']],
      ]);
      expect(await target.apis.findByIdentifier('https://orders.example/api')).toMatchObject({ tokenFormat: 'opaque', accepts: 'people', tokenLifetime: 900 });
      expect(await target.clients.findById('m2m')).toEqual(await source.clients.findById('m2m'));
      expect(await target.clients.findById('m2m')).toMatchObject({ jwks: JWKS, jwksUri: null, secretHash: null, tokenEndpointAuthMethod: 'private_key_jwt' });
      expect(await target.clients.findById('cli')).toEqual(await source.clients.findById('cli'));
      expect(await target.codes.find('c2')).toEqual(await source.codes.find('c2'));
      expect(await target.codes.find('c2')).toMatchObject({ resources: ['https://orders.example/api', 'http://127.0.0.1:9000/billing'] });
      expect(await target.accessTokens.findLive('opaque-hash', T0)).toEqual(await source.accessTokens.findLive('opaque-hash', T0));
      expect(await target.accessTokens.findLive('opaque-hash', T0)).toMatchObject({ userId: null, format: 'opaque', scope: 'pay', authTime: null });
      expect(await target.accessTokens.findLive('j1', T0)).toEqual(await source.accessTokens.findLive('j1', T0));
      for (const hash of ['d-pending', 'd-approved', 'd-denied']) expect(await target.deviceCodes.find(hash)).toEqual(await source.deviceCodes.find(hash));
      expect(await target.deviceCodes.find('d-pending')).toMatchObject({ interval: 10, lastPolledAt: T0 + 2 });
      expect(await target.deviceCodes.consume('d-approved', T0 + 4)).toMatchObject({ userId: 'u1', amr: ['pwd', 'otp'], sid: 'sid-s1' });
      expect(await target.clientAssertions.use('m2m', 'jti-used', T0 + 5 * MINUTE)).toBe(false);
      // Issue 28: the client's requirements, the DPoP bindings, pushed requests (the spent one stays spent) and used jtis.
      expect(tables.get('clients')?.map((row) => [row.client_id, row.require_pushed_authorization_requests, row.dpop_bound_access_tokens])).toContainEqual(['fapi', true, true]);
      expect(await target.clients.findById('fapi')).toEqual(await source.clients.findById('fapi'));
      expect(await target.clients.findById('fapi')).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
      expect(await target.clients.findById('rp')).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false });
      expect(await target.codes.find('c-dpop')).toMatchObject({ dpopJkt: JKT });
      expect(await target.codes.find('c2')).toMatchObject({ dpopJkt: null });
      expect(await target.refreshTokens.find('t-dpop')).toEqual(await source.refreshTokens.find('t-dpop'));
      expect(await target.refreshTokens.find('t-dpop')).toMatchObject({ jkt: JKT });
      expect(await target.accessTokens.findLive('j-dpop', T0)).toMatchObject({ jkt: JKT });
      expect(await target.accessTokens.findLive('j1', T0)).toMatchObject({ jkt: null });
      expect(await target.pushedRequests.consume('par-spent', 'fapi', T0 + 2)).toBeNull();
      expect(await target.pushedRequests.consume('par-live', 'fapi', T0 + 2)).toMatchObject({
        params: { scope: 'openid', dpop_jkt: JKT, resource: ['https://orders.example/api'] },
        consumedAt: T0 + 2,
      });
      expect(await target.usedJtis.use('dpop_proof', JKT, 'proof-used', T0 + 2 * MINUTE)).toBe(false);
      expect(await target.usedJtis.use('request_object', 'fapi', 'ro-used', T0 + 60 * MINUTE)).toBe(false);
      expect(await target.usedJtis.use('request_object', 'fapi', 'fresh', T0 + 60 * MINUTE)).toBe(true);
      // The chain verifies after the move as before it, and goes on from the imported head.
      const chain = await expectUnbrokenChain(target);
      expect(chain).toEqual(await expectUnbrokenChain(source));
      // The audit log numbers new events after the imported ones.
      const next = await target.audit.append({ at: T0 + 9, type: 'import.done', actor: 'cli', subject: null, ip: null, details: {} });
      expect(next).toMatchObject({ id: 5, prevHash: chain[3]?.hash });
      await expectUnbrokenChain(target);
      // Issue 23: providers, linked identities, accounts without a password and the idp of sign-ins in progress move;
      // federated sign-ins in progress do not.
      expect(await target.identityProviders.list()).toEqual(await source.identityProviders.list());
      expect(await target.identityProviders.linkCounts()).toEqual(
        new Map([
          ['acme', 1],
          ['corp-dir', 1],
        ]),
      );
      expect(await target.federatedIdentities.listForUser('u1')).toEqual(await source.federatedIdentities.listForUser('u1'));
      expect(await target.federatedIdentities.find('corp-dir', 'cn=grace')).toMatchObject({ userId: 'u2' });
      expect(await target.users.findById('u2')).toMatchObject({ hasPassword: false });
      expect(await target.federationStates.findLiveLink('b1', 'u1', T0)).toBeNull();
      expect(await source.federationStates.findLiveLink('b1', 'u1', T0)).not.toBeNull();
      expect(await target.sessions.findLive('s-fed', T0)).toEqual(await source.sessions.findLive('s-fed', T0));
      expect(await target.codes.consume('c-fed', T0 + 1)).toMatchObject({ idp: 'acme' });
      expect(await target.refreshTokens.rotate('t-fed', T0 + 1)).toMatchObject({ idp: 'acme' });
      expect(await target.deviceCodes.consume('d-fed', T0 + 4)).toMatchObject({ idp: 'acme', amr: ['fed'] });
      // Issue 24: third-party clients with their fields, consents and initial access tokens (uses left included).
      expect(tables.get('clients')?.find((row) => row.client_id === 'dyn')).toMatchObject({
        third_party: true,
        origin: 'dynamic',
        client_uri: 'https://dyn.example/',
        policy_uri: 'https://dyn.example/privacy?a=1&b="2"',
        tos_uri: null,
        registration_token_hash: 'hash-of-rat',
      });
      expect(tables.get('clients')?.find((row) => row.client_id === 'rp')).toMatchObject({ third_party: false, origin: 'admin', registration_token_hash: null });
      expect(await target.clients.findById('dyn')).toEqual(await source.clients.findById('dyn'));
      expect(await target.clients.rotateRegistrationToken('dyn', 'hash-of-rat', 'hash-of-rat-2', T0 + 5)).toBe(true);
      expect(await target.consents.listForUser('u1')).toEqual(await source.consents.listForUser('u1'));
      expect(await target.consents.find('u1', 'dyn')).toEqual({
        userId: 'u1',
        clientId: 'dyn',
        scopes: ['openid', 'email', 'offline_access'],
        grantedAt: T0 + 1,
        updatedAt: T0 + 2,
        lastUsedAt: T0 + 3,
      });
      expect(await target.consents.find('u2', 'dyn')).toMatchObject({ scopes: ['openid'] });
      expect(await target.registrationTokens.list()).toEqual(await source.registrationTokens.list());
      expect(await target.registrationTokens.use('hash-of-rt-1', T0 + 2)).toMatchObject({ usesLeft: 0, used: 2 });
      expect(await target.registrationTokens.use('hash-of-rt-1', T0 + 2)).toBeNull();
      expect(await target.registrationTokens.findUsable('hash-of-rt-open', T0 + 2)).toMatchObject({ usesLeft: null, expiresAt: null, createdBy: 'u1' });
      // Issue 25: people's language and time zone, and the brand byte for byte at its version, whose next save goes on.
      expect(await target.users.findById('u1')).toMatchObject({ locale: 'de', timeZone: 'Europe/Berlin' });
      expect(await target.users.findById('u2')).toEqual(await source.users.findById('u2'));
      const brand = await target.branding.get();
      expect(brand).toEqual(await source.branding.get());
      expect(brand?.logo?.data.equals(LOGO.data)).toBe(true);
      expect(Buffer.isBuffer(brand?.favicon?.data)).toBe(true);
      expect(await target.branding.version()).toBe(2);
      expect(await target.branding.save({ name: 'Stale' }, 1, 'u1', T0 + 5)).toBeNull();
      expect(await target.branding.save({ name: 'Moved' }, 2, 'u1', T0 + 5)).toMatchObject({ name: 'Moved', version: 3, css: brand?.css });
      // A deleted user's id stays retired.
      await expect(target.users.create(newUser('gone', 'back@example.com'), T0 + 9)).rejects.toThrow('this user id belonged to a deleted user and is never reused');
      // Issue 26: the management API's tokens and webhooks as the application reads them.
      expect(await target.adminTokens.list()).toEqual(await source.adminTokens.list());
      expect(await target.adminTokens.findLive('hash-of-at-1', T0 + 4)).toMatchObject({ id: 'at-1', userId: 'u1' });
      expect(await target.adminTokens.findLive('hash-of-at-2', T0 + 4)).toBeNull();
      expect(await target.webhooks.list()).toEqual(await source.webhooks.list());
      expect(await target.apis.findById('api-manage')).toEqual(await source.apis.findById('api-manage'));
    });
  });

  it('refuses to load into a store that holds anything, naming what it holds, and writes nothing', async () => {
    await withStores([from, to], async (source, target) => {
      await seed(source);
      await target.users.create(newUser('other', 'other@example.com'), T0);
      const failure = await target.transfer.load(batchesOf(await readAll(source))).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConflictError);
      expect((failure as Error).message).toBe('the target store is not empty (1 users): import only into a new database, before any node serves it');
      expect((await target.users.list({ limit: 10 })).items.map((user) => user.id)).toEqual(['other']);
    });
  });
});

describe.each(engines.map((engine) => [engine.name, engine] as const))('loading on %s', (_name, engine) => {
  it('loads into a store whose only row is its own built-in management API, which the export’s takes the place of', async () => {
    await withStores([engine, engine], async (source, target) => {
      await seed(source);
      await target.apis.create(newApi('api-own', 'Gatehouse management API', 'https://other.example/api/v1', { builtIn: true }), T0);
      await target.transfer.load(batchesOf(await readAll(source)));
      expect(await target.apis.findById('api-own')).toBeNull();
      expect(await target.apis.findById('api-manage')).toEqual(await source.apis.findById('api-manage'));
      expect(await target.apis.accessOf('m2m')).toEqual(await source.apis.accessOf('m2m'));
    });
  });

  it('writes nothing when reading the batches fails part-way (a truncated file)', async () => {
    await withStores([engine, engine], async (source, target) => {
      await seed(source);
      const tables = await readAll(source);
      async function* failing(): AsyncGenerator<TransferBatch> {
        for await (const batch of batchesOf(tables)) {
          yield batch;
          if (batch.table.name === 'sessions') throw new Error('the file ends here');
        }
      }
      await expect(target.transfer.load(failing())).rejects.toThrow('the file ends here');
      expect(await readAll(target)).toEqual(new Map(TRANSFER_TABLES.map((table) => [table.name, []])));
    });
  });

  it('writes nothing when a row breaks a constraint (a session of a user who is not there)', async () => {
    await withStores([engine, engine], async (source, target) => {
      await seed(source);
      const tables = await readAll(source);
      tables.set('sessions', [{ ...(tables.get('sessions')?.[0] ?? {}), user_id: 'nobody' }]);
      await expect(target.transfer.load(batchesOf(tables))).rejects.toThrow();
      expect((await target.users.list({ limit: 10 })).items).toEqual([]);
      // The store is still usable, and still counts as empty.
      await target.transfer.load(batchesOf(new Map([['users', tables.get('users') ?? []]])));
      expect((await target.users.list({ limit: 10 })).items).toHaveLength(2);
    });
  });

  it('refuses an image that is not base64 as an export writes it (an altered file), and writes nothing', async () => {
    await withStores([engine, engine], async (source, target) => {
      await seed(source);
      const tables = await readAll(source);
      const [brand] = tables.get('branding') ?? [];
      for (const altered of ['not base64!', 'QUJD\nRA==', 'QUJDRA']) {
        tables.set('branding', [{ ...brand, logo: altered }]);
        await expect(target.transfer.load(batchesOf(tables))).rejects.toThrow('branding.logo of the export is not base64');
        expect(await target.branding.get()).toBeNull();
        expect((await target.users.list({ limit: 10 })).items).toEqual([]);
      }
    });
  });

  it('reads one snapshot: a row written by another connection after the export began is not in it', async () => {
    const opened = await engine.open();
    try {
      await seed(opened.store);
      const users = transferTable('users');
      if (!users) throw new Error('no users table');
      const seen = await opened.store.transfer.snapshot(async (reader) => {
        const counted = await reader.count(users);
        // Another node writes while the export runs.
        const other = await opened.second();
        try {
          await other.users.create(newUser('late', 'late@example.com'), T0);
        } finally {
          await other.close();
        }
        const rows: TransferRow[] = [];
        for await (const batch of reader.rows(users, 100)) rows.push(...batch);
        return { counted, read: rows.map((row) => row.id) };
      });
      expect(seen).toEqual({ counted: 2, read: ['u1', 'u2'] });
      expect((await opened.store.users.list({ limit: 10 })).items).toHaveLength(3);
    } finally {
      await opened.destroy();
    }
  });

  it('names every column of every table the database has, but the migrations, the signing keys (moved by the key stores) and the state left behind (federated sign-ins in progress, the delivery queue, the sightings)', async () => {
    const opened = await engine.open();
    try {
      const expected = Object.fromEntries(TRANSFER_TABLES.map((table) => [table.name, Object.keys(table.columns).sort()]));
      const columns = await opened.columns();
      expect(Object.keys(columns).filter((name) => NOT_TRANSFERRED.includes(name))).toEqual([...NOT_TRANSFERRED]);
      expect(Object.fromEntries(Object.entries(columns).filter(([name]) => !NOT_TRANSFERRED.includes(name)))).toEqual(expected);
    } finally {
      await opened.destroy();
    }
  });
});
