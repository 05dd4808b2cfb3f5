// The rules of src/manage/providers.ts (issue 23) on a real SQLite store: every field of a provider of each kind is
// checked and each refusal is a ValidationError naming the field that writes nothing (no row, no audit event); the
// secret is sealed under the store's box with the provider's slug as associated data and never shown; updates write
// only real changes; deletes count the accounts unlinked; an account's last way to sign in is kept.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secretBox, type SecretBox } from '../../src/auth/secret-box.js';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import { LDAP_ATTRIBUTES, OAUTH2_CLAIMS, OIDC_CLAIMS, providerSecretAad } from '../../src/federation/provider-settings.js';
import {
  createProvider,
  deleteProvider,
  findProvider,
  LAST_WAY_TO_SIGN_IN,
  listProviders,
  providerView,
  signInMethods,
  unlinkIdentity,
  updateProvider,
  type ProviderContext,
  type ProviderInput,
} from '../../src/manage/providers.js';
import type { Store } from '../../src/store/store.js';
import { CA_PEM, LDAP_INPUT, LDAP_PASSWORD, OAUTH2_INPUT, OAUTH2_SECRET, OIDC_INPUT, OIDC_SECRET, SECOND_CA_PEM } from '../cli/provider-fixtures.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';
import { MINUTE, T0 } from '../store/engines.js';

let store: Store;
let clock: FakeClock;
let ctx: ProviderContext;
let box: SecretBox;

manageStorePerTest((fresh) => {
  store = fresh.store;
  clock = fresh.clock;
  box = secretBox(randomBytes(32));
  ctx = { ...fresh.ctx, secretBox: () => Promise.resolve(box) };
});

/** Everything a provider command may write. */
const refused = refusedWithoutWriting(async () => ({
  providers: await store.identityProviders.list(),
  identities: await Promise.all(['u-ada', 'u-bob'].map((id) => store.federatedIdentities.listForUser(id))),
  audit: await store.audit.count({}),
}));

const events = async (type: string) => (await store.audit.list({ limit: 100, filter: { type } })).reverse();
const settingsOf = async (slug: string) => JSON.parse((await findProvider(store, slug)).settings) as Record<string, unknown>;

async function addUser(id: string, hasPassword = true) {
  return store.users.create({ id, email: `${id.slice(2)}@example.com`, name: null, passwordHash: 'x', isAdmin: false, disabled: false, emailVerified: true, hasPassword }, T0);
}
const link = (slug: string, userId: string, subject = `${slug}-${userId}`) => store.federatedIdentities.link({ providerSlug: slug, subject, userId, email: null, createdAt: T0 });

/** The ValidationError creating `input` throws, by field and message (the refusal writes nothing). */
async function refusal(input: ProviderInput): Promise<ValidationError> {
  const before = await store.identityProviders.list();
  const error = await createProvider(ctx, input).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error, JSON.stringify(input)).toBeInstanceOf(ValidationError);
  expect(await store.identityProviders.list()).toEqual(before);
  expect(await store.audit.count({})).toBe(0);
  return error as ValidationError;
}

describe('creating a provider', () => {
  it('stores an OpenID Connect provider with the defaults, its secret sealed to its slug, audited without the secret', async () => {
    const created = await createProvider(ctx, { ...OIDC_INPUT, scopes: ['email'] });
    expect(created).toMatchObject({
      slug: 'acme',
      kind: 'oidc',
      name: 'Acme Workspace',
      buttonLabel: null,
      iconUrl: null,
      enabled: true,
      jit: false,
      allowedDomains: [],
      trustEmail: false,
      trustMfa: false,
      groupsMode: 'ignore',
      createdAt: T0,
    });
    // openid is always asked for, first.
    expect(JSON.parse(created.settings)).toEqual({ issuer: 'https://accounts.acme.example', clientId: 'gatehouse', scopes: ['openid', 'email'], claims: OIDC_CLAIMS });
    expect(created.secret).not.toContain(OIDC_SECRET);
    expect(box.open(created.secret ?? '', providerSecretAad('acme'))).toBe(OIDC_SECRET);
    expect(() => box.open(created.secret ?? '', providerSecretAad('other'))).toThrow();
    const [event] = await events('provider.created');
    expect(event).toMatchObject({ actor: 'admin-1', subject: 'acme', ip: '192.0.2.1', details: { provider: 'acme', kind: 'oidc' } });
    expect(JSON.stringify(await store.audit.list({ limit: 100 }))).not.toContain(OIDC_SECRET);
    expect(await settingsOf('acme')).toMatchObject({ scopes: ['openid', 'email'] });
    await createProvider(ctx, { ...OIDC_INPUT, slug: 'acme2' });
    expect(await settingsOf('acme2')).toMatchObject({ scopes: ['openid', 'email', 'profile'] });
  });

  it('stores an OAuth 2 provider with the GitHub-like claim defaults, and every common setting', async () => {
    await createProvider(ctx, {
      ...OAUTH2_INPUT,
      buttonLabel: ' Sign in with GitHub ',
      iconUrl: 'https://github.example/icon.svg',
      enabled: false,
      jit: true,
      allowedDomains: ['Example.COM', ' example.org', 'example.com'],
      trustEmail: true,
      trustMfa: true,
      groupsMode: 'merge',
      claims: { name: 'login', groups: 'orgs', attributes: { department: 'company' } },
    });
    const provider = await findProvider(store, 'github');
    expect(provider).toMatchObject({
      buttonLabel: 'Sign in with GitHub',
      iconUrl: 'https://github.example/icon.svg',
      enabled: false,
      jit: true,
      allowedDomains: ['example.com', 'example.org'],
      trustEmail: true,
      trustMfa: true,
      groupsMode: 'merge',
    });
    expect(await settingsOf('github')).toEqual({
      authorizationUrl: OAUTH2_INPUT.authorizationUrl,
      tokenUrl: OAUTH2_INPUT.tokenUrl,
      userinfoUrl: OAUTH2_INPUT.userinfoUrl,
      clientId: 'Iv1.abc',
      scopes: ['read:user', 'user:email'],
      claims: { ...OAUTH2_CLAIMS, name: 'login', groups: 'orgs', attributes: { department: 'company' } },
    });
    expect(box.open(provider.secret ?? '', providerSecretAad('github'))).toBe(OAUTH2_SECRET);
  });

  it('stores an LDAP directory: StartTLS by default on ldap://, never on ldaps://, the CA certificates as PEM', async () => {
    await createProvider(ctx, LDAP_INPUT);
    expect(await settingsOf('corp-ldap')).toEqual({
      url: 'ldap://127.0.0.1:3389',
      startTls: true,
      ca: null,
      bindDn: LDAP_INPUT.bindDn,
      userBase: LDAP_INPUT.userBase,
      userFilter: LDAP_INPUT.userFilter,
      groupBase: null,
      attributes: LDAP_ATTRIBUTES,
      passwordResetUrl: null,
    });
    expect(box.open((await findProvider(store, 'corp-ldap')).secret ?? '', providerSecretAad('corp-ldap'))).toBe(LDAP_PASSWORD);
    await createProvider(ctx, {
      ...LDAP_INPUT,
      slug: 'ad',
      url: 'ldaps://dc1.corp.example:636/',
      ca: `comment before\n${CA_PEM}\n${SECOND_CA_PEM}`,
      groupBase: 'ou=groups,dc=corp,dc=example',
      attributes: { email: 'userPrincipalName', name: null, memberOf: 'memberOf' },
      passwordResetUrl: 'https://password.corp.example/',
    });
    expect(await settingsOf('ad')).toMatchObject({
      url: 'ldaps://dc1.corp.example:636',
      startTls: false,
      ca: `${CA_PEM.trim()}\n${SECOND_CA_PEM.trim()}\n`,
      groupBase: 'ou=groups,dc=corp,dc=example',
      attributes: { email: 'userPrincipalName', name: null, memberOf: 'memberOf' },
      passwordResetUrl: 'https://password.corp.example/',
    });
    // Plain text only when asked for.
    await createProvider(ctx, { ...LDAP_INPUT, slug: 'plain', startTls: false });
    expect(await settingsOf('plain')).toMatchObject({ startTls: false });
  });

  it('refuses a taken slug with a ConflictError, writing nothing', async () => {
    await createProvider(ctx, OIDC_INPUT);
    await refused(() => createProvider(ctx, { ...LDAP_INPUT, slug: 'acme' }), ConflictError, /an identity provider with the slug acme already exists/);
  });

  it('refuses each bad field with a ValidationError naming it, writing nothing', async () => {
    const cases: [ProviderInput, string, RegExp][] = [
      [{ ...OIDC_INPUT, slug: 'Acme' }, 'slug', /not a valid slug/],
      [{ ...OIDC_INPUT, slug: '-acme' }, 'slug', /not a valid slug/],
      [{ ...OIDC_INPUT, slug: 'new' }, 'slug', /reserved/],
      [{ ...OIDC_INPUT, slug: 'a'.repeat(41) }, 'slug', /not a valid slug/],
      [{ ...OIDC_INPUT, slug: 'a/b' }, 'slug', /not a valid slug/],
      [{ ...OIDC_INPUT, kind: 'saml' as never }, 'kind', /oidc, oauth2 or ldap/],
      [{ ...OIDC_INPUT, name: '  ' }, 'name', /must not be empty/],
      [{ ...OIDC_INPUT, name: 'n'.repeat(101) }, 'name', /at most 100/],
      [{ ...OIDC_INPUT, name: 'two\nlines' }, 'name', /control characters/],
      [{ ...OIDC_INPUT, buttonLabel: 'b'.repeat(101) }, 'buttonLabel', /at most 100/],
      [{ ...OIDC_INPUT, iconUrl: 'http://icons.example/x.png' }, 'iconUrl', /uses http on a host that is not loopback/],
      [{ ...OIDC_INPUT, iconUrl: `https://icons.example/${'x'.repeat(2048)}` }, 'iconUrl', /at most 2048/],
      [{ ...OIDC_INPUT, issuer: 'http://accounts.acme.example' }, 'issuer', /uses http on a host that is not loopback/],
      [{ ...OIDC_INPUT, issuer: 'https://accounts.acme.example/?tenant=1' }, 'issuer', /must not have a query/],
      [{ ...OIDC_INPUT, issuer: 'https://accounts.acme.example/#x' }, 'issuer', /must not have a fragment/],
      [{ ...OIDC_INPUT, issuer: 'https://user:pw@accounts.acme.example' }, 'issuer', /must not contain credentials/],
      [{ ...OIDC_INPUT, issuer: 'ftp://accounts.acme.example' }, 'issuer', /must use https/],
      [{ ...OIDC_INPUT, issuer: 'acme' }, 'issuer', /not an absolute URL/],
      [{ ...OIDC_INPUT, issuer: undefined }, 'issuer', /needs an issuer/],
      [{ ...OIDC_INPUT, clientId: undefined }, 'clientId', /needs a client id/],
      [{ ...OIDC_INPUT, clientSecret: undefined }, 'clientSecret', /needs the client secret/],
      [{ ...OIDC_INPUT, clientSecret: '' }, 'clientSecret', /must not be empty/],
      [{ ...OIDC_INPUT, scopes: ['a"b'] }, 'scopes', /not a valid scope/],
      [{ ...OIDC_INPUT, claims: { email: 'a..b' } }, 'claims.email', /not a claim path/],
      [{ ...OIDC_INPUT, claims: { name: '__proto__.x' } }, 'claims.name', /not a claim path/],
      [{ ...OIDC_INPUT, claims: { attributes: { Department: 'dept' } } }, 'claims.attributes', /not an attribute name/],
      [{ ...OIDC_INPUT, allowedDomains: ['@example.com'] }, 'allowedDomains', /not a valid domain name/],
      [{ ...OIDC_INPUT, allowedDomains: ['exa mple.com'] }, 'allowedDomains', /not a valid domain name/],
      [{ ...OIDC_INPUT, allowedDomains: ['-example.com'] }, 'allowedDomains', /not a valid domain name/],
      [{ ...OIDC_INPUT, allowedDomains: ['exämple.com'] }, 'allowedDomains', /xn-- form/],
      [{ ...OIDC_INPUT, groupsMode: 'sync' as never }, 'groupsMode', /ignore, merge or replace/],
      [{ ...OIDC_INPUT, url: 'ldap://x' }, 'url', /not a setting of an oidc provider/],
      [{ ...OAUTH2_INPUT, issuer: 'https://x.example' }, 'issuer', /not a setting of an oauth2 provider/],
      [{ ...OAUTH2_INPUT, tokenUrl: undefined }, 'tokenUrl', /needs a token URL/],
      [{ ...OAUTH2_INPUT, userinfoUrl: 'http://api.github.example/user' }, 'userinfoUrl', /not loopback/],
      [{ ...LDAP_INPUT, clientSecret: 'x' }, 'clientSecret', /not a setting of an ldap provider/],
      [{ ...LDAP_INPUT, url: 'https://dc.example' }, 'url', /must begin with ldap:\/\/ \(StartTLS\) or ldaps:\/\//],
      [{ ...LDAP_INPUT, url: 'ldap://dc.example/dc=corp?mail' }, 'url', /must be only ldap:\/\/host:port/],
      [{ ...LDAP_INPUT, url: 'ldap://admin:pw@dc.example' }, 'url', /credentials/],
      [{ ...LDAP_INPUT, url: 'ldaps://dc.example', startTls: true }, 'startTls', /StartTLS cannot be used with ldaps:\/\//],
      [{ ...LDAP_INPUT, bindPassword: undefined }, 'bindPassword', /needs the bind password/],
      [{ ...LDAP_INPUT, bindDn: ' ' }, 'bindDn', /must not be empty/],
      [{ ...LDAP_INPUT, userBase: 'o'.repeat(1025) }, 'userBase', /at most 1024/],
      [{ ...LDAP_INPUT, groupBase: 'ou=groups\u0000' }, 'groupBase', /control characters/],
      [{ ...LDAP_INPUT, userFilter: '(mail=*)' }, 'userFilter', /must contain \{email\}/],
      [{ ...LDAP_INPUT, userFilter: '(&(mail={email})' }, 'userFilter', /balanced parentheses/],
      [{ ...LDAP_INPUT, userFilter: '(mail={email}))(' }, 'userFilter', /balanced parentheses/],
      [{ ...LDAP_INPUT, userFilter: 'mail={email}' }, 'userFilter', /balanced parentheses/],
      [{ ...LDAP_INPUT, userFilter: '(mail={email})(uid=x)' }, 'userFilter', /balanced parentheses/],
      [{ ...LDAP_INPUT, ca: 'not a certificate' }, 'ca', /holds no PEM certificate/],
      [{ ...LDAP_INPUT, ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, 'ca', /certificate 1 of the CA file cannot be read/],
      [{ ...LDAP_INPUT, ca: `${CA_PEM}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n` }, 'ca', /certificate 2 of the CA file/],
      [{ ...LDAP_INPUT, ca: `${CA_PEM}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n` }, 'ca', /holds a private key/],
      [{ ...LDAP_INPUT, attributes: { email: 'mail;binary,x' } }, 'attributes.email', /not an LDAP attribute name/],
      [{ ...LDAP_INPUT, passwordResetUrl: 'http://password.corp.example' }, 'passwordResetUrl', /not loopback/],
    ];
    for (const [input, field, message] of cases) {
      const error = await refusal(input);
      expect(error.field, JSON.stringify(input)).toBe(field);
      expect(error.message, JSON.stringify(input)).toMatch(message);
      // The secret is never in a message.
      expect(error.message).not.toContain(OIDC_SECRET);
      expect(error.message).not.toContain(LDAP_PASSWORD);
    }
  });

  it('takes http only on a loopback host (development upstreams), for every URL', async () => {
    await createProvider(ctx, { ...OIDC_INPUT, issuer: 'http://127.0.0.2:4000', iconUrl: 'http://localhost/i.png' });
    await createProvider(ctx, { ...OAUTH2_INPUT, authorizationUrl: 'http://[::1]:9000/authorize', tokenUrl: 'http://127.0.0.1:9000/token', userinfoUrl: 'http://localhost:9000/user' });
    expect((await listProviders(store)).map((view) => view.slug)).toEqual(['acme', 'github']);
  });
});

describe('updating a provider', () => {
  it('writes and audits only real changes, naming the fields and never the secret', async () => {
    await createProvider(ctx, LDAP_INPUT);
    clock.advance(MINUTE);
    const same = await updateProvider(ctx, 'corp-ldap', { name: ' Corp directory ', url: 'ldap://127.0.0.1:3389', bindPassword: LDAP_PASSWORD, jit: false, attributes: { email: 'mail' } });
    expect(same.changed).toEqual([]);
    expect(same.provider.updatedAt).toBe(T0);
    expect(await events('provider.updated')).toEqual([]);

    const changed = await updateProvider(ctx, 'corp-ldap', { jit: true, userFilter: '(uid={email})', ca: CA_PEM, bindPassword: 'a new password', attributes: { memberOf: 'memberOf' } });
    expect(changed.changed).toEqual(['jit', 'ca', 'userFilter', 'attributes', 'bindPassword']);
    expect(changed.provider).toMatchObject({ jit: true, updatedAt: T0 + MINUTE });
    expect(box.open(changed.provider.secret ?? '', providerSecretAad('corp-ldap'))).toBe('a new password');
    expect(await settingsOf('corp-ldap')).toMatchObject({ userFilter: '(uid={email})', ca: `${CA_PEM.trim()}\n`, attributes: { email: 'mail', name: 'displayName', memberOf: 'memberOf' } });
    const [event] = await events('provider.updated');
    expect(event).toMatchObject({ actor: 'admin-1', subject: 'corp-ldap', details: { provider: 'corp-ldap', changed: ['jit', 'ca', 'userFilter', 'attributes', 'bindPassword'] } });
    expect(JSON.stringify(await store.audit.list({ limit: 100 }))).not.toMatch(/a new password|ldap-bind-password/);
  });

  it("clears optional settings with null, replaces lists, and takes a new scheme's StartTLS default", async () => {
    await createProvider(ctx, { ...LDAP_INPUT, ca: CA_PEM, groupBase: 'ou=groups,dc=corp', allowedDomains: ['corp.example'] } as ProviderInput);
    const cleared = await updateProvider(ctx, 'corp-ldap', { ca: null, groupBase: null, allowedDomains: [], url: 'ldaps://dc.corp.example' });
    expect(cleared.changed).toEqual(['allowedDomains', 'url', 'startTls', 'ca', 'groupBase']);
    expect(cleared.provider.allowedDomains).toEqual([]);
    expect(await settingsOf('corp-ldap')).toMatchObject({ url: 'ldaps://dc.corp.example', startTls: false, ca: null, groupBase: null });
    // Back to ldap://: StartTLS again unless said otherwise.
    await updateProvider(ctx, 'corp-ldap', { url: 'ldap://dc.corp.example:389' });
    expect(await settingsOf('corp-ldap')).toMatchObject({ startTls: true });
    await updateProvider(ctx, 'corp-ldap', { url: 'ldaps://dc.corp.example', startTls: false });
    expect(await settingsOf('corp-ldap')).toMatchObject({ startTls: false });
  });

  it('replaces an OpenID Connect secret and settings, keeping openid among the scopes', async () => {
    await createProvider(ctx, OIDC_INPUT);
    const { changed, provider } = await updateProvider(ctx, 'acme', {
      clientSecret: 'rotated',
      scopes: ['profile'],
      claims: { groups: 'roles' },
      buttonLabel: 'Acme SSO',
      iconUrl: 'https://acme.example/i.svg',
    });
    expect(changed).toEqual(['buttonLabel', 'iconUrl', 'scopes', 'claims', 'clientSecret']);
    expect(box.open(provider.secret ?? '', providerSecretAad('acme'))).toBe('rotated');
    expect(await settingsOf('acme')).toMatchObject({ scopes: ['openid', 'profile'], claims: { ...OIDC_CLAIMS, groups: 'roles' } });
    expect((await updateProvider(ctx, 'acme', { buttonLabel: null, iconUrl: '' })).provider).toMatchObject({ buttonLabel: null, iconUrl: null });
  });

  it('refuses to change the slug or the kind, a field of another kind, a bad value, an unknown provider, writing nothing', async () => {
    await createProvider(ctx, OIDC_INPUT);
    await createProvider(ctx, LDAP_INPUT);
    await refused(() => updateProvider(ctx, 'acme', { slug: 'acme-2' }), ValidationError, /slug of a provider cannot change/);
    await refused(() => updateProvider(ctx, 'acme', { kind: 'oauth2' }), ValidationError, /kind of a provider cannot change/);
    await refused(() => updateProvider(ctx, 'acme', { bindDn: 'cn=x' }), ValidationError, /bindDn is not a setting of an oidc provider/);
    await refused(() => updateProvider(ctx, 'acme', { issuer: 'http://evil.example', name: 'Renamed' }), ValidationError, /issuer .* not loopback/);
    await refused(() => updateProvider(ctx, 'acme', { clientSecret: '' }), ValidationError, /clientSecret must not be empty/);
    await refused(() => updateProvider(ctx, 'corp-ldap', { startTls: true, url: 'ldaps://dc.example' }), ValidationError, /StartTLS cannot be used with ldaps/);
    await refused(() => updateProvider(ctx, 'corp-ldap', { userFilter: '(uid=x)' }), ValidationError, /must contain \{email\}/);
    await refused(() => updateProvider(ctx, 'nope', { name: 'x' }), NotFoundError, /no identity provider "nope"/);
  });
});

describe('deleting a provider and the views', () => {
  it('deletes a provider with its links, counting them, audited; the accounts stay', async () => {
    await addUser('u-ada');
    await addUser('u-bob');
    await createProvider(ctx, OIDC_INPUT);
    await createProvider(ctx, LDAP_INPUT);
    await link('acme', 'u-ada');
    await link('acme', 'u-bob');
    await link('corp-ldap', 'u-ada');
    expect((await listProviders(store)).map((view) => [view.slug, view.linked])).toEqual([
      ['acme', 2],
      ['corp-ldap', 1],
    ]);
    const { provider, linked } = await deleteProvider(ctx, 'acme');
    expect([provider.slug, linked]).toEqual(['acme', 2]);
    expect(await store.federatedIdentities.listForUser('u-bob')).toEqual([]);
    expect((await store.federatedIdentities.listForUser('u-ada')).map((identity) => identity.providerSlug)).toEqual(['corp-ldap']);
    expect(await store.users.findById('u-bob')).not.toBeNull();
    expect((await events('provider.deleted'))[0]).toMatchObject({ actor: 'admin-1', subject: 'acme', details: { provider: 'acme', linked: 2 } });
    await refused(() => deleteProvider(ctx, 'acme'), NotFoundError, /no identity provider "acme"/);
  });

  it('shows a provider without its secret', async () => {
    const created = await createProvider(ctx, { ...LDAP_INPUT, ca: CA_PEM });
    const view = providerView(created, 3);
    expect(view).toMatchObject({ slug: 'corp-ldap', kind: 'ldap', hasSecret: true, linked: 3, createdAt: T0, settings: { url: LDAP_INPUT.url, startTls: true } });
    expect(view).not.toHaveProperty('secret');
    expect(JSON.stringify(view)).not.toContain(created.secret ?? 'none');
    expect(JSON.stringify(await listProviders(store))).not.toContain(created.secret ?? 'none');
  });
});

describe("an account's linked identities", () => {
  it('says how a person can sign in: a directory link makes the local password unused while the directory is enabled', async () => {
    const ada = await addUser('u-ada');
    await createProvider(ctx, OIDC_INPUT);
    await createProvider(ctx, LDAP_INPUT);
    await link('acme', 'u-ada');
    expect(await signInMethods(store, ada)).toMatchObject({ password: true, passkeys: 0, identities: [expect.objectContaining({ providerSlug: 'acme' })] });
    await link('corp-ldap', 'u-ada');
    expect((await signInMethods(store, ada)).password).toBe(false);
    await updateProvider(ctx, 'corp-ldap', { enabled: false });
    expect((await signInMethods(store, ada)).password).toBe(true);
    const jit = await addUser('u-bob', false);
    expect((await signInMethods(store, jit)).password).toBe(false);
  });

  it('refuses the owner removing their last way to sign in, writing nothing; an administrator may', async () => {
    await addUser('u-bob', false);
    await createProvider(ctx, OIDC_INPUT);
    await createProvider(ctx, OAUTH2_INPUT);
    await link('acme', 'u-bob');
    await refused(() => unlinkIdentity(ctx, 'u-bob', 'acme', { byOwner: true }), ValidationError, new RegExp(LAST_WAY_TO_SIGN_IN.slice(0, 40)));
    // An identity of a disabled provider is no way in.
    await link('github', 'u-bob');
    await updateProvider(ctx, 'github', { enabled: false });
    await refused(() => unlinkIdentity(ctx, 'u-bob', 'acme', { byOwner: true }), ValidationError, /last way you can sign in/);
    // Another identity of an enabled provider is.
    await updateProvider(ctx, 'github', { enabled: true });
    const removed = await unlinkIdentity({ ...ctx, actor: 'u-bob' }, 'u-bob', 'acme', { byOwner: true });
    expect(removed).toMatchObject({ providerSlug: 'acme', userId: 'u-bob' });
    expect((await events('identity.unlinked'))[0]).toMatchObject({ actor: 'u-bob', subject: 'u-bob', details: { provider: 'acme' } });
    // A passkey is a way in.
    await store.passkeys.create({
      credentialId: 'cred-1',
      userId: 'u-bob',
      name: 'Laptop',
      publicKey: 'pk',
      counter: 0,
      transports: [],
      deviceType: 'singleDevice',
      backedUp: false,
      createdAt: T0,
    });
    await unlinkIdentity(ctx, 'u-bob', 'github', { byOwner: true });
    expect(await store.federatedIdentities.listForUser('u-bob')).toEqual([]);
  });

  it("keeps a directory person's local password from counting while another enabled directory is linked; an admin unlinks anything", async () => {
    await addUser('u-ada');
    await createProvider(ctx, OIDC_INPUT);
    await createProvider(ctx, LDAP_INPUT);
    await link('corp-ldap', 'u-ada');
    // Removing the directory link gives the local password back: allowed.
    await link('acme', 'u-ada');
    await unlinkIdentity(ctx, 'u-ada', 'corp-ldap', { byOwner: true });
    await link('corp-ldap', 'u-ada', 'again');
    // Removing the other identity leaves only the directory: still a way in (its enabled identity).
    await unlinkIdentity(ctx, 'u-ada', 'acme', { byOwner: true });
    await refused(() => unlinkIdentity(ctx, 'u-ada', 'acme', { byOwner: true }), NotFoundError, /not linked to "acme"/);
    // An administrator is never refused: they can set a password or send a reset link.
    await addUser('u-bob', false);
    await link('acme', 'u-bob');
    await unlinkIdentity({ ...ctx, actor: 'admin-2' }, 'u-bob', 'acme', { byOwner: false });
    expect((await events('identity.unlinked')).map((event) => [event.actor, event.subject])).toEqual([
      ['admin-1', 'u-ada'],
      ['admin-1', 'u-ada'],
      ['admin-2', 'u-bob'],
    ]);
  });
});
