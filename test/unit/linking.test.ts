// From an upstream identity to a Gatehouse account (src/federation/linking.ts, issue 23 "Accounts"), on a real
// SQLite store: a linked identity signs in to its account; an unknown one is made an account just in time only
// where the provider may, for allowed domains only (exact match); an existing account of the same email is linked
// without asking only where the provider is authoritative for it, and otherwise waits (a 'link' state bound to this
// browser and that account) for its owner to sign in once. Refusals write nothing.
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { verifyCredentials } from '../../src/auth/authenticate.js';
import { secretBox, type SecretBox } from '../../src/auth/secret-box.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { UpstreamSignInFailed } from '../../src/errors.js';
import type { UpstreamIdentity } from '../../src/federation/federation.js';
import { completePendingLink, resolveAccount, upstreamFactors, type LinkingDependencies } from '../../src/federation/linking.js';
import { OIDC_CLAIMS } from '../../src/federation/provider-settings.js';
import type { IdentityProviderRecord, NewIdentityProvider, UserRecord } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';
import { newProvider, newUser, T0 } from '../store/engines.js';

const BROWSER = 'browser-cookie-of-the-person';
const OTHER_BROWSER = 'browser-cookie-of-someone-else';

function providerRow(overrides: Partial<NewIdentityProvider> = {}): NewIdentityProvider {
  const settings = { issuer: 'https://accounts.acme.test', clientId: 'gatehouse', scopes: ['openid', 'email', 'profile'], claims: OIDC_CLAIMS };
  return newProvider('acme', 'Acme Workspace', { settings: JSON.stringify(settings), secret: null, jit: true, ...overrides });
}

function identity(overrides: Partial<UpstreamIdentity> = {}): UpstreamIdentity {
  return { subject: 'acme-sub-1', email: 'ada@example.org', emailVerified: true, name: 'Ada Lovelace', groups: [], attributes: {}, amr: [], ...overrides };
}

/** A request as completePendingLink reads it: its address and its logger (silent). */
function request(): Request {
  return { ip: '192.0.2.7', log: pino({ level: 'silent' }) } as unknown as Request;
}

describe('resolveAccount and completePendingLink on a real store', () => {
  let store: Store;
  let clock: FakeClock;
  let deps: LinkingDependencies;
  const box: SecretBox = secretBox(randomBytes(32));

  manageStorePerTest((fresh) => {
    store = fresh.store;
    clock = fresh.clock;
    deps = { store, clock, secretBox: async () => box };
  });

  const provider = (overrides: Partial<NewIdentityProvider> = {}): Promise<IdentityProviderRecord> => store.identityProviders.create(providerRow(overrides), T0);
  const localUser = (email: string, overrides: Partial<UserRecord> = {}) =>
    store.users.create(newUser(`u-${email}`, email, { passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$ZGlnZXN0', ...overrides }), T0);

  /** Everything resolveAccount could write. */
  const snapshot = async () => ({
    users: (await store.users.list({ limit: 100 })).items,
    audit: await store.audit.count({}),
    links: await Promise.all((await store.users.list({ limit: 100 })).items.map((user) => store.federatedIdentities.listForUser(user.id))),
    liveLinkStates: await Promise.all((await store.users.list({ limit: 100 })).items.map((user) => store.federationStates.findLiveLink(hashSecret(BROWSER), user.id, clock.now()))),
  });
  const refused = refusedWithoutWriting(snapshot);

  const linkedAudits = async () => (await store.audit.list({ limit: 100, filter: { type: 'identity.linked' } })).map((event) => ({ subject: event.subject, details: event.details }));

  it('signs a linked identity in to its account, whatever email it now gives, and records the use', async () => {
    const acme = await provider({ jit: false });
    const ada = await localUser('ada@example.org');
    await store.federatedIdentities.link({ providerSlug: 'acme', subject: 'acme-sub-1', userId: ada.id, email: 'ada@example.org', createdAt: T0 });
    clock.advance(60_000);
    const resolved = await resolveAccount(deps, acme, identity({ email: 'ada.l@elsewhere.test', emailVerified: false }), BROWSER, 'browser');
    expect(resolved).toMatchObject({ kind: 'signed_in', linked: false, user: { id: ada.id, email: 'ada@example.org', name: 'Ada Lovelace' } });
    expect(await store.federatedIdentities.find('acme', 'acme-sub-1')).toMatchObject({ userId: ada.id, email: 'ada.l@elsewhere.test', lastUsedAt: T0 + 60_000 });
    expect(await linkedAudits()).toEqual([]);
  });

  it('makes an account just in time: no usable password, the email verified only as the upstream asserts, linked and audited', async () => {
    const acme = await provider({ jit: true });
    const first = await resolveAccount(deps, acme, identity(), BROWSER, 'browser');
    expect(first.kind).toBe('signed_in');
    expect(first).toMatchObject({ linked: true, user: { email: 'ada@example.org', name: 'Ada Lovelace', hasPassword: false, emailVerified: true, isAdmin: false, disabled: false } });
    expect(await store.federatedIdentities.find('acme', 'acme-sub-1')).toMatchObject({ userId: first.user.id, email: 'ada@example.org' });
    expect(await linkedAudits()).toEqual([{ subject: first.user.id, details: { provider: 'acme', via: 'jit' } }]);
    // Nobody knows the random secret it was hashed from, and an account without a password never matches anyway.
    expect(await verifyCredentials(store, clock, 'ada@example.org', '')).toBeNull();

    const unverified = await resolveAccount(deps, acme, identity({ subject: 'acme-sub-2', email: 'bob@example.org', emailVerified: false, name: null }), BROWSER, 'browser');
    expect(unverified).toMatchObject({ kind: 'signed_in', linked: true, user: { email: 'bob@example.org', name: null, hasPassword: false, emailVerified: false } });

    // The second sign-in finds the link: no second account.
    const again = await resolveAccount(deps, acme, identity(), BROWSER, 'browser');
    expect(again).toMatchObject({ kind: 'signed_in', linked: false, user: { id: first.user.id } });
    expect(await store.users.count()).toBe(2);
  });

  it('refuses an unknown identity when the provider makes no accounts, and writes nothing', async () => {
    const acme = await provider({ jit: false });
    await refused(() => resolveAccount(deps, acme, identity(), BROWSER, 'browser'), UpstreamSignInFailed, /no account here yet\. Ask your administrator/);
    await expect(resolveAccount(deps, acme, identity(), BROWSER, 'browser')).rejects.toMatchObject({ status: 403 });
  });

  it('refuses every identity of a disabled provider, linked or not, and writes nothing', async () => {
    const acme = await provider({ enabled: false });
    await refused(() => resolveAccount(deps, acme, identity(), BROWSER, 'browser'), UpstreamSignInFailed, /Signing in with Acme Workspace is turned off/);
    const ada = await localUser('ada@example.org');
    await store.federatedIdentities.link({ providerSlug: 'acme', subject: 'acme-sub-1', userId: ada.id, email: null, createdAt: T0 });
    await refused(() => resolveAccount(deps, acme, identity(), BROWSER, 'browser'), UpstreamSignInFailed, /turned off/);
  });

  it('refuses an identity without an email, or with one that is not an address', async () => {
    const acme = await provider();
    await refused(() => resolveAccount(deps, acme, identity({ email: null }), BROWSER, 'browser'), UpstreamSignInFailed, /Acme Workspace did not give an email address/);
    await refused(() => resolveAccount(deps, acme, identity({ email: '  ' }), BROWSER, 'browser'), UpstreamSignInFailed, /did not give an email address/);
    await refused(() => resolveAccount(deps, acme, identity({ email: 'not an address' }), BROWSER, 'browser'), UpstreamSignInFailed, /not valid/);
  });

  it('admits only the allowed domains, compared exactly: no suffix, no subdomain unless listed', async () => {
    const acme = await provider({ allowedDomains: ['example.org'] });
    for (const email of ['ada@evil-example.org', 'ada@mail.example.org', 'ada@example.org.evil.test', 'ada@example.com']) {
      const domain = email.split('@')[1] ?? '';
      await refused(
        () => resolveAccount(deps, acme, identity({ email }), BROWSER, 'browser'),
        UpstreamSignInFailed,
        new RegExp(`Accounts from ${domain.replaceAll('.', '\\.')} cannot sign in with Acme Workspace`),
      );
    }
    // Upper case in the address is the same domain.
    const resolved = await resolveAccount(deps, acme, identity({ email: 'Ada@EXAMPLE.org' }), BROWSER, 'browser');
    expect(resolved).toMatchObject({ kind: 'signed_in', linked: true });
  });

  it('an unverified email matching an account: a link state bound to this browser and that account, no link, no session', async () => {
    const acme = await provider({ trustEmail: true, allowedDomains: ['example.org'] });
    const ada = await localUser('ada@example.org');
    const resolved = await resolveAccount(deps, acme, identity({ emailVerified: false }), BROWSER, 'browser');
    expect(resolved).toEqual({ kind: 'prove_ownership', user: ada });
    expect(await store.federatedIdentities.listForUser(ada.id)).toEqual([]);
    expect(await store.sessions.listForUser(ada.id, clock.now())).toEqual([]);
    const state = await store.federationStates.findLiveLink(hashSecret(BROWSER), ada.id, clock.now());
    expect(state).toMatchObject({ kind: 'link', providerSlug: 'acme', userId: ada.id, expiresAt: T0 + 10 * 60_000 });
    // The upstream identity inside is sealed, not readable in the row.
    expect(state?.value).not.toContain('acme-sub-1');
    expect(await store.federationStates.findLiveLink(hashSecret(OTHER_BROWSER), ada.id, clock.now())).toBeNull();
  });

  it('trust_email without email_verified, or without allowed domains: prove ownership; with both and the domain listed: linked', async () => {
    const ada = await localUser('ada@example.org');
    const unverified = await provider({ slug: 'unverified', trustEmail: true, allowedDomains: ['example.org'] });
    expect(await resolveAccount(deps, unverified, identity({ emailVerified: false }), BROWSER, 'browser')).toMatchObject({ kind: 'prove_ownership' });
    const anyDomain = await provider({ slug: 'anydomain', trustEmail: true, allowedDomains: [] });
    expect(await resolveAccount(deps, anyDomain, identity(), BROWSER, 'browser')).toMatchObject({ kind: 'prove_ownership' });
    const untrusted = await provider({ slug: 'untrusted', trustEmail: false, allowedDomains: ['example.org'] });
    expect(await resolveAccount(deps, untrusted, identity(), BROWSER, 'browser')).toMatchObject({ kind: 'prove_ownership' });
    expect(await store.federatedIdentities.listForUser(ada.id)).toEqual([]);

    const authoritative = await provider({ slug: 'acme', trustEmail: true, allowedDomains: ['example.org'] });
    // Not while the account's own address is unverified: whoever made it may not be its owner (pre-hijacking).
    expect(await resolveAccount(deps, authoritative, identity(), BROWSER, 'browser')).toMatchObject({ kind: 'prove_ownership' });
    expect(await store.federatedIdentities.listForUser(ada.id)).toEqual([]);
    await store.users.update(ada.id, { emailVerified: true }, T0);
    const resolved = await resolveAccount(deps, authoritative, identity(), BROWSER, 'browser');
    expect(resolved).toMatchObject({ kind: 'signed_in', linked: true, user: { id: ada.id, hasPassword: true } });
    expect(await store.federatedIdentities.find('acme', 'acme-sub-1')).toMatchObject({ userId: ada.id });
    expect(await linkedAudits()).toEqual([{ subject: ada.id, details: { provider: 'acme', via: 'verified_email' } }]);
  });

  it('a directory without a browser: an existing unlinked account is refused unless the directory is authoritative for it', async () => {
    const ldap = await provider({ slug: 'corp', kind: 'ldap', name: 'Corp Directory' });
    const ada = await localUser('ada@example.org');
    await refused(() => resolveAccount(deps, ldap, identity(), null, 'directory'), UpstreamSignInFailed, /already exists\. Ask your administrator to link it to Corp Directory/);
    await store.identityProviders.update('corp', { trustEmail: true, allowedDomains: ['example.org'] }, T0);
    await store.users.update(ada.id, { emailVerified: true }, T0);
    const trusted = (await store.identityProviders.findBySlug('corp')) as IdentityProviderRecord;
    expect(await resolveAccount(deps, trusted, identity(), null, 'directory')).toMatchObject({ kind: 'signed_in', linked: true, user: { id: ada.id } });
    expect(await linkedAudits()).toEqual([{ subject: ada.id, details: { provider: 'corp', via: 'directory' } }]);
  });

  it('never signs in to a disabled account, linked or not, and writes nothing', async () => {
    const acme = await provider({ trustEmail: true, allowedDomains: ['example.org'] });
    const ada = await localUser('ada@example.org', { disabled: true });
    await refused(() => resolveAccount(deps, acme, identity(), BROWSER, 'browser'), UpstreamSignInFailed, /This account is disabled/);
    await refused(() => resolveAccount(deps, acme, identity({ emailVerified: false }), BROWSER, 'browser'), UpstreamSignInFailed, /This account is disabled/);
    await store.federatedIdentities.link({ providerSlug: 'acme', subject: 'acme-sub-1', userId: ada.id, email: null, createdAt: T0 });
    await refused(() => resolveAccount(deps, acme, identity(), BROWSER, 'browser'), UpstreamSignInFailed, /This account is disabled/);
  });

  it('two first sign-ins at once end with one account and one link', async () => {
    const acme = await provider({ jit: true });
    const results = await Promise.all([0, 1, 2].map(() => resolveAccount(deps, acme, identity(), BROWSER, 'browser')));
    const ids = new Set(results.map((result) => result.user.id));
    expect(ids.size).toBe(1);
    expect(results.every((result) => result.kind === 'signed_in')).toBe(true);
    expect(await store.users.count()).toBe(1);
    const [id] = [...ids];
    expect(await store.federatedIdentities.listForUser(id as string)).toHaveLength(1);
    expect(await linkedAudits()).toHaveLength(1);
  });

  describe('completePendingLink', () => {
    async function pending(): Promise<{ ada: UserRecord; bob: UserRecord }> {
      const acme = await provider({ groupsMode: 'merge' });
      const ada = await localUser('ada@example.org');
      const bob = await localUser('bob@example.org');
      expect(await resolveAccount(deps, acme, identity({ emailVerified: false }), BROWSER, 'browser')).toMatchObject({ kind: 'prove_ownership' });
      return { ada, bob };
    }

    it('links once the owner signed in to that account in this browser: via proven, audited, synced, used up', async () => {
      const { ada } = await pending();
      expect(await completePendingLink(deps, BROWSER, ada, request())).toBe(true);
      expect(await store.federatedIdentities.find('acme', 'acme-sub-1')).toMatchObject({ userId: ada.id });
      const [event] = await store.audit.list({ limit: 1, filter: { type: 'identity.linked' } });
      expect(event).toMatchObject({ actor: ada.id, subject: ada.id, ip: '192.0.2.7', details: { provider: 'acme', via: 'proven' } });
      expect((await store.users.findById(ada.id))?.name).toBe('Ada Lovelace');
      // Single use: nothing waits any more.
      expect(await completePendingLink(deps, BROWSER, ada, request())).toBe(false);
      // The identity now signs in directly.
      const acme = (await store.identityProviders.findBySlug('acme')) as IdentityProviderRecord;
      expect(await resolveAccount(deps, acme, identity({ emailVerified: false }), OTHER_BROWSER, 'browser')).toMatchObject({ kind: 'signed_in', user: { id: ada.id } });
    });

    it('links nothing in another browser or for another account', async () => {
      const { ada, bob } = await pending();
      expect(await completePendingLink(deps, OTHER_BROWSER, ada, request())).toBe(false);
      expect(await completePendingLink(deps, BROWSER, bob, request())).toBe(false);
      expect(await store.federatedIdentities.find('acme', 'acme-sub-1')).toBeNull();
      expect(await linkedAudits()).toEqual([]);
      // Still waiting for the right person in the right browser.
      expect(await completePendingLink(deps, BROWSER, ada, request())).toBe(true);
    });

    it('links nothing once the state expired or the provider was disabled', async () => {
      const { ada } = await pending();
      clock.advance(10 * 60_000 + 1);
      expect(await completePendingLink(deps, BROWSER, ada, request())).toBe(false);
      const acme = (await store.identityProviders.findBySlug('acme')) as IdentityProviderRecord;
      expect(await resolveAccount(deps, acme, identity({ subject: 'acme-sub-1', emailVerified: false }), BROWSER, 'browser')).toMatchObject({ kind: 'prove_ownership' });
      await store.identityProviders.update('acme', { enabled: false }, T0);
      expect(await completePendingLink(deps, BROWSER, ada, request())).toBe(false);
      expect(await store.federatedIdentities.find('acme', 'acme-sub-1')).toBeNull();
      expect(await linkedAudits()).toEqual([]);
    });

    it('links nothing when the identity was linked to another account meanwhile, and does not throw', async () => {
      const { ada, bob } = await pending();
      await store.federatedIdentities.link({ providerSlug: 'acme', subject: 'acme-sub-1', userId: bob.id, email: null, createdAt: T0 });
      expect(await completePendingLink(deps, BROWSER, ada, request())).toBe(false);
      expect(await store.federatedIdentities.find('acme', 'acme-sub-1')).toMatchObject({ userId: bob.id });
      expect(await linkedAudits()).toEqual([]);
    });
  });
});

describe('upstreamFactors', () => {
  const trusted = { trustMfa: true };
  const untrusted = { trustMfa: false };

  it('is fed, plus the upstream second factor only where the provider is trusted for it', () => {
    expect(upstreamFactors(untrusted, { amr: [] })).toEqual(['fed']);
    expect(upstreamFactors(untrusted, { amr: ['pwd', 'mfa', 'hwk'] })).toEqual(['fed']);
    expect(upstreamFactors(trusted, { amr: [] })).toEqual(['fed']);
    expect(upstreamFactors(trusted, { amr: ['pwd', 'otp'] })).toEqual(['fed']);
    expect(upstreamFactors(trusted, { amr: ['pwd', 'mfa'] })).toEqual(['fed', 'mfa']);
    expect(upstreamFactors(trusted, { amr: ['hwk'] })).toEqual(['fed', 'hwk', 'mfa']);
    expect(upstreamFactors(trusted, { amr: ['mfa', 'hwk', 'pwd'] })).toEqual(['fed', 'hwk', 'mfa']);
  });
});
