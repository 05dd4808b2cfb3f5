// The providers admin screens (issue 23) over HTTP, as an administrator's browser uses them: the list (name, slug,
// kind, enabled, linked accounts); creating a provider of each kind through its form (the kind chosen first);
// editing one (the slug and kind read-only, the secret write-only: blank keeps it, the callback URL shown); deleting
// after a confirmation that says how many linked accounts lose that way to sign in; each refusal shown at its field
// with the form kept and nothing written; and a secret never in any page: not on a refused form, not on the
// password page of a stale sign-in. Who may do any of it: anonymous, not an administrator, no CSRF token, a stale
// sign-in for the sensitive changes. Every change goes through src/manage/providers.ts, audited as the administrator.
import { beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { providerSecretAad } from '../../src/federation/provider-settings.js';
import { createProvider, type ProviderInput } from '../../src/manage/providers.js';
import type { IdentityProviderRecord } from '../../src/store/records.js';
import { CA_PEM } from '../cli/provider-fixtures.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { formFields, type Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import {
  expectAnonymousSentToLogin,
  expectCsrfRefused,
  expectNonAdminRefused,
  expectStaleAdminAsked,
  expectStrictAdminPage,
  expectStrictAdminPages,
  signedInNonAdmin,
  type AdminRoute,
} from './admin-access-checks.js';
import {
  appWithAdminPerTest,
  asStaleAdmin as staleAdmin,
  eventsSince,
  fieldError,
  inputTag,
  isConfirmPage,
  lastEventId,
  noticeOf,
  textareaText,
  XSS,
  XSS_ESCAPED,
} from './admin-screen-helpers.js';

const OIDC_SECRET = 'oidc-secret-never-shown-41c7';
const OAUTH2_SECRET = 'oauth2-secret-never-shown-9d02';
const BIND_PASSWORD = 'bind-password-never-shown-e3a5';
const SECRETS = [OIDC_SECRET, OAUTH2_SECRET, BIND_PASSWORD];

/** The form a browser sends for a new OpenID Connect provider (unticked checkboxes are absent). */
function oidcForm(fields: Record<string, string> = {}): Record<string, string> {
  return {
    slug: 'acme',
    name: 'Acme Workspace',
    button_label: '',
    icon_url: '',
    issuer: 'https://accounts.acme.example',
    client_id: 'gatehouse',
    scopes: 'openid email profile',
    client_secret: OIDC_SECRET,
    enabled: 'on',
    allowed_domains: '',
    groups_mode: 'ignore',
    ...fields,
  };
}

function oauth2Form(fields: Record<string, string> = {}): Record<string, string> {
  return {
    slug: 'github',
    name: 'GitHub',
    button_label: '',
    icon_url: '',
    authorization_url: 'https://github.example/login/oauth/authorize',
    token_url: 'https://github.example/login/oauth/access_token',
    userinfo_url: 'https://api.github.example/user',
    client_id: 'Iv1.abc',
    scopes: 'read:user user:email',
    claim_subject: 'id',
    claim_email: 'email',
    claim_email_verified: '',
    claim_name: 'name',
    claim_groups: '',
    client_secret: OAUTH2_SECRET,
    enabled: 'on',
    allowed_domains: '',
    groups_mode: 'ignore',
    ...fields,
  };
}

function ldapForm(fields: Record<string, string> = {}): Record<string, string> {
  return {
    slug: 'corp',
    name: 'Corp Directory',
    button_label: '',
    icon_url: '',
    url: 'ldap://ldap.corp.example:389',
    starttls: 'on',
    ca: '',
    bind_dn: 'cn=gatehouse,ou=services,dc=corp,dc=example',
    bind_password: BIND_PASSWORD,
    user_base: 'ou=people,dc=corp,dc=example',
    user_filter: '(&(objectClass=inetOrgPerson)(mail={email}))',
    group_base: '',
    attr_email: 'mail',
    attr_name: 'displayName',
    attr_member_of: '',
    password_reset_url: '',
    enabled: 'on',
    allowed_domains: '',
    groups_mode: 'ignore',
    ...fields,
  };
}

/** No secret of these tests anywhere in the page. */
function expectNoSecret(page: Page): void {
  for (const secret of SECRETS) expect(page.body, 'a secret in the page').not.toContain(secret);
}

describe('admin: the providers screens (issue 23)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let serial = 0;

  const unique = (prefix: string) => `${prefix}-${(serial += 1)}`;
  const ctx = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', secretBox: () => openSecretBox(app.config) });
  const provider = (input: Partial<ProviderInput> = {}): Promise<IdentityProviderRecord> =>
    createProvider(ctx(), { slug: unique('p'), kind: 'oidc', name: `Provider ${serial}`, issuer: 'https://issuer.example', clientId: 'c', clientSecret: OIDC_SECRET, ...input });
  const asStaleAdmin = <T>(body: (stale: SignedInAdmin) => Promise<T>): Promise<T> => staleAdmin(app, clock, `${unique('stale')}@example.com`, body);
  const openSecret = async (record: IdentityProviderRecord) => (await openSecretBox(app.config)).open(record.secret ?? '', providerSecretAad(record.slug));
  const linkPerson = async (slug: string, label: string) => {
    const user = await addUser(app, `${unique(label)}@example.com`);
    await app.store.federatedIdentities.link({ providerSlug: slug, subject: `sub-${user.id}`, userId: user.id, email: `${label}@upstream.example`, createdAt: app.clock.now() });
    return user;
  };

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  describe('who may use them', () => {
    let target: IdentityProviderRecord;
    let plain: Browser;

    const routes = (): AdminRoute[] => [
      { method: 'GET', path: '/admin/providers' },
      { method: 'GET', path: '/admin/providers/new' },
      { method: 'GET', path: '/admin/providers/new?kind=oidc' },
      { method: 'GET', path: '/admin/providers/new?kind=ldap' },
      { method: 'POST', path: '/admin/providers?kind=oidc', form: oidcForm({ slug: 'acl-new' }), sensitive: true },
      { method: 'GET', path: `/admin/providers/${target.slug}` },
      { method: 'POST', path: `/admin/providers/${target.slug}`, form: oidcForm({ slug: target.slug, issuer: 'https://moved.example', client_secret: '' }), sensitive: true },
      { method: 'GET', path: `/admin/providers/${target.slug}/delete` },
      { method: 'POST', path: `/admin/providers/${target.slug}/delete`, sensitive: true },
    ];

    beforeAll(async () => {
      target = await provider({ name: 'Acl target' });
      plain = await signedInNonAdmin(app, `${unique('plain')}@example.com`);
    });

    it('sends anonymous visitors to the login page, writing nothing', async () => {
      await expectAnonymousSentToLogin(app, routes());
    });

    it('refuses a signed-in person who is not an administrator, showing nothing of the providers', async () => {
      await expectNonAdminRefused(app, plain, routes(), 'Acl target');
    });

    it('serves every page under the strict policy, each POST form with the CSRF token', async () => {
      await expectStrictAdminPages(app, admin, routes());
    });

    it('refuses every POST without this session’s CSRF token, writing nothing', async () => {
      await expectCsrfRefused(app, admin, await signedInAdmin(app, `${unique('other')}@example.com`), routes());
      expect(await app.store.identityProviders.findBySlug('acl-new')).toBeNull();
    });

    it('asks a stale sign-in for the password before creating, a sensitive edit and deleting', async () => {
      await expectStaleAdminAsked(app, routes(), asStaleAdmin);
      expect(await app.store.identityProviders.findBySlug(target.slug)).toMatchObject({ settings: expect.stringContaining('https://issuer.example') });
    });

    it('lets a stale sign-in rename a provider without the password (the name grants nothing)', async () => {
      const renamed = await provider();
      await asStaleAdmin(async (stale) => {
        const answer = await stale.post(
          `/admin/providers/${renamed.slug}`,
          oidcForm({ slug: renamed.slug, name: 'Renamed only', issuer: 'https://issuer.example', client_id: 'c', scopes: 'openid email profile', client_secret: '' }),
        );
        expect(answer.status, answer.body).toBe(303);
      });
      expect((await app.store.identityProviders.findBySlug(renamed.slug))?.name).toBe('Renamed only');
    });

    it('never puts a typed secret in the password page of a stale sign-in, and asks for it again after the password', async () => {
      await asStaleAdmin(async (stale) => {
        const before = await lastEventId(app);
        const confirm = await stale.post('/admin/providers?kind=oidc', oidcForm({ slug: 'stale-new' }));
        expect(isConfirmPage(confirm)).toBe(true);
        expectNoSecret(confirm);
        expect(confirm.body).toContain('name="secret_withheld"');
        const again = await stale.browser.postForm(`${app.url}/admin/providers?kind=oidc`, { ...formFields(confirm.body), confirm_password: 'correct horse battery staple' });
        expect(again.status).toBe(400);
        expect(fieldError(again, 'client_secret')).toContain('Type the secret again');
        expect(inputTag(again, 'slug')).toContain('value="stale-new"');
        expectNoSecret(again);
        expect(await app.store.identityProviders.findBySlug('stale-new')).toBeNull();
        // Only the re-authentication was written.
        expect((await eventsSince(app, before)).map((event) => event.type)).toEqual(['admin.reauthenticated']);
        // Now recent: the secret typed again goes through.
        const created = await stale.browser.postForm(`${app.url}/admin/providers?kind=oidc`, { ...formFields(again.body), client_secret: OIDC_SECRET });
        expect(created.status, created.body).toBe(303);
      });
      expect(await app.store.identityProviders.findBySlug('stale-new')).not.toBeNull();
    });
  });

  describe('the list', () => {
    it('shows each provider’s name, slug, kind, whether enabled and how many accounts are linked, names escaped', async () => {
      const listed = await provider({ name: `Listed ${XSS}` });
      const off = await provider({
        name: 'Switched off',
        enabled: false,
        kind: 'oauth2',
        issuer: undefined,
        authorizationUrl: 'https://gh.example/a',
        tokenUrl: 'https://gh.example/t',
        userinfoUrl: 'https://gh.example/u',
      });
      await linkPerson(listed.slug, 'one');
      await linkPerson(listed.slug, 'two');
      const page = await admin.page('/admin/providers');
      expectStrictAdminPage(page, 'list');
      expect(page.body).toContain('aria-current="page">Providers</a>');
      const row = (slug: string) => new RegExp(`<tr>\\s*<td><a href="[^"]*/admin/providers/${slug}">[^<]*</a></td>[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? '';
      expect(row(listed.slug)).toContain(XSS_ESCAPED);
      expect(row(listed.slug)).toContain('OpenID Connect');
      expect(row(listed.slug)).toContain('enabled');
      expect(row(listed.slug)).toMatch(/<td>2<\/td>\s*<\/tr>/);
      expect(row(off.slug)).toContain('OAuth 2');
      expect(row(off.slug)).toContain('disabled');
      expect(row(off.slug)).toMatch(/<td>0<\/td>\s*<\/tr>/);
      expect(page.body).not.toContain(XSS);
      expectNoSecret(page);
    });
  });

  describe('creating', () => {
    it('asks for the kind first, then shows that kind’s fields', async () => {
      const choose = await admin.page('/admin/providers/new');
      expect(choose.body).toContain('name="kind" value="oidc"');
      expect(choose.body).toContain('name="kind" value="ldap"');
      const oidc = await admin.page('/admin/providers/new?kind=oidc');
      expect(inputTag(oidc, 'issuer')).not.toBe('');
      expect(inputTag(oidc, 'url')).toBe('');
      const ldap = await admin.page('/admin/providers/new?kind=ldap');
      expect(inputTag(ldap, 'url')).not.toBe('');
      expect(inputTag(ldap, 'starttls')).toContain('checked');
      expect(ldap.body).toContain('<textarea id="ca" name="ca"');
      expect(inputTag(ldap, 'issuer')).toBe('');
      expect(inputTag(ldap, 'bind_password')).toContain('type="password"');
    });

    it('creates an OpenID Connect provider: the secret sealed, audited as the administrator, the callback URL shown', async () => {
      const before = await lastEventId(app);
      const answer = await admin.post(
        '/admin/providers?kind=oidc',
        oidcForm({ slug: 'acme-oidc', jit: 'on', allowed_domains: 'acme.example\r\n\r\nAcme.Example\r\nother.example', trust_email: 'on', groups_mode: 'merge' }),
      );
      expect(answer.status, answer.body).toBe(303);
      expect(new URL(answer.location ?? '').pathname).toBe('/admin/providers/acme-oidc');
      const stored = await app.store.identityProviders.findBySlug('acme-oidc');
      expect(stored).toMatchObject({
        kind: 'oidc',
        name: 'Acme Workspace',
        enabled: true,
        jit: true,
        trustEmail: true,
        trustMfa: false,
        groupsMode: 'merge',
        allowedDomains: ['acme.example', 'other.example'],
      });
      expect(JSON.parse(stored?.settings ?? '{}')).toMatchObject({ issuer: 'https://accounts.acme.example', clientId: 'gatehouse', scopes: ['openid', 'email', 'profile'] });
      expect(stored?.secret).not.toContain(OIDC_SECRET);
      expect(await openSecret(stored as IdentityProviderRecord)).toBe(OIDC_SECRET);
      const events = await eventsSince(app, before);
      expect(events.map((event) => [event.type, event.actor])).toEqual([['provider.created', admin.user.id]]);
      expect(JSON.stringify(events)).not.toContain(OIDC_SECRET);
      const page = await admin.page('/admin/providers/acme-oidc?done=created');
      expectStrictAdminPage(page, 'show');
      expect(noticeOf(page)).toContain('The provider was created');
      expect(inputTag(page, 'callback_url')).toContain(`value="${app.config.issuer}/federation/acme-oidc/callback"`);
      expect(inputTag(page, 'client_secret')).toContain('value=""');
      expectNoSecret(page);
    });

    it('creates an OAuth 2 provider with its URLs and claim paths', async () => {
      const answer = await admin.post('/admin/providers?kind=oauth2', oauth2Form({ slug: 'gh', claim_email_verified: 'verified', claim_groups: 'teams' }));
      expect(answer.status, answer.body).toBe(303);
      const stored = (await app.store.identityProviders.findBySlug('gh')) as IdentityProviderRecord;
      expect(JSON.parse(stored.settings)).toMatchObject({
        authorizationUrl: 'https://github.example/login/oauth/authorize',
        tokenUrl: 'https://github.example/login/oauth/access_token',
        userinfoUrl: 'https://api.github.example/user',
        clientId: 'Iv1.abc',
        scopes: ['read:user', 'user:email'],
        claims: { subject: 'id', email: 'email', emailVerified: 'verified', name: 'name', groups: 'teams' },
      });
      expect(await openSecret(stored)).toBe(OAUTH2_SECRET);
      const page = await admin.page('/admin/providers/gh');
      expect(inputTag(page, 'claim_groups')).toContain('value="teams"');
      expect(inputTag(page, 'callback_url')).toContain('/federation/gh/callback');
      expectNoSecret(page);
    });

    it('creates an LDAP directory with StartTLS, its CA certificate and attribute names; no callback URL', async () => {
      const answer = await admin.post(
        '/admin/providers?kind=ldap',
        ldapForm({ slug: 'corp-dir', ca: CA_PEM, group_base: 'ou=groups,dc=corp,dc=example', password_reset_url: 'https://password.corp.example/' }),
      );
      expect(answer.status, answer.body).toBe(303);
      const stored = (await app.store.identityProviders.findBySlug('corp-dir')) as IdentityProviderRecord;
      expect(JSON.parse(stored.settings)).toMatchObject({
        url: 'ldap://ldap.corp.example:389',
        startTls: true,
        ca: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
        bindDn: 'cn=gatehouse,ou=services,dc=corp,dc=example',
        userBase: 'ou=people,dc=corp,dc=example',
        userFilter: '(&(objectClass=inetOrgPerson)(mail={email}))',
        groupBase: 'ou=groups,dc=corp,dc=example',
        attributes: { email: 'mail', name: 'displayName', memberOf: null },
        passwordResetUrl: 'https://password.corp.example/',
      });
      expect(await openSecret(stored)).toBe(BIND_PASSWORD);
      const page = await admin.page('/admin/providers/corp-dir');
      expect(inputTag(page, 'callback_url')).toBe('');
      expect(inputTag(page, 'starttls')).toContain('checked');
      expect(textareaText(page, 'ca')).toContain('-----BEGIN CERTIFICATE-----');
      expect(inputTag(page, 'bind_password')).toContain('value=""');
      expectNoSecret(page);
    });

    it('creates an ldaps:// directory with the StartTLS box left ticked: TLS already, so StartTLS is off', async () => {
      const answer = await admin.post('/admin/providers?kind=ldap', ldapForm({ slug: 'corp-ldaps', url: 'ldaps://ldap.corp.example:636' }));
      expect(answer.status, answer.body).toBe(303);
      const stored = (await app.store.identityProviders.findBySlug('corp-ldaps')) as IdentityProviderRecord;
      expect(JSON.parse(stored.settings)).toMatchObject({ url: 'ldaps://ldap.corp.example:636', startTls: false });
    });

    it('refuses each mistake at its field, keeps the form, echoes no secret and writes nothing', async () => {
      const cases: [string, Record<string, string>, string, number][] = [
        ['oidc', oidcForm({ slug: 'bad-issuer', issuer: 'http://accounts.example' }), 'issuer', 400],
        ['oidc', oidcForm({ slug: 'Not A Slug' }), 'slug', 400],
        ['oidc', oidcForm({ slug: 'no-secret', client_secret: '' }), 'client_secret', 400],
        ['oidc', oidcForm({ slug: 'no-name', name: '' }), 'name', 400],
        ['oauth2', oauth2Form({ slug: 'bad-claim', claim_email: 'a..b' }), 'claim_email', 400],
        ['oauth2', oauth2Form({ slug: 'bad-domain', allowed_domains: 'not a domain' }), 'allowed_domains', 400],
        ['ldap', ldapForm({ slug: 'bad-filter', user_filter: '(mail=*)' }), 'user_filter', 400],
        ['ldap', ldapForm({ slug: 'bad-url', url: 'http://ldap.example' }), 'url', 400],
        ['ldap', ldapForm({ slug: 'bad-ca', ca: 'not a certificate' }), 'ca', 400],
      ];
      for (const [kind, form, field, status] of cases) {
        const before = await lastEventId(app);
        const answer = await admin.post(`/admin/providers?kind=${kind}`, form);
        expect(answer.status, `${field}: ${answer.body.slice(0, 200)}`).toBe(status);
        expect(fieldError(answer, field), field).not.toBeNull();
        expect(answer.body).toContain('Nothing was saved');
        expectNoSecret(answer);
        expect(inputTag(answer, 'name')).toContain(`value="${form.name}"`);
        expect(await app.store.identityProviders.findBySlug(form.slug ?? '')).toBeNull();
        expect(await lastEventId(app)).toBe(before);
      }
    });

    it('refuses a slug already taken, at the slug', async () => {
      const taken = await provider();
      const before = await lastEventId(app);
      const answer = await admin.post('/admin/providers?kind=oidc', oidcForm({ slug: taken.slug, name: 'Second' }));
      expect(answer.status).toBe(409);
      expect(fieldError(answer, 'slug')).toContain('already exists');
      expectNoSecret(answer);
      expect((await app.store.identityProviders.findBySlug(taken.slug))?.name).toBe(taken.name);
      expect(await lastEventId(app)).toBe(before);
    });
  });

  describe('editing', () => {
    it('keeps the secret when left blank, replaces it when typed, and never shows it', async () => {
      const edited = await provider();
      const page = await admin.page(`/admin/providers/${edited.slug}`);
      expect(page.body).toContain('Leave blank to keep the current secret.');
      expect(inputTag(page, 'slug')).toContain('readonly');
      expect(inputTag(page, 'kind')).toContain('readonly');
      const keep = await admin.post(`/admin/providers/${edited.slug}`, { ...formFields(page.body), issuer: 'https://moved.example', jit: 'on' });
      expect(keep.status, keep.body).toBe(303);
      let stored = (await app.store.identityProviders.findBySlug(edited.slug)) as IdentityProviderRecord;
      expect(stored.secret).toBe(edited.secret);
      expect(stored.jit).toBe(true);
      expect(JSON.parse(stored.settings).issuer).toBe('https://moved.example');
      const before = await lastEventId(app);
      const replace = await admin.post(`/admin/providers/${edited.slug}`, { ...formFields((await admin.page(`/admin/providers/${edited.slug}`)).body), client_secret: 'a-new-secret-0b7' });
      expect(replace.status).toBe(303);
      stored = (await app.store.identityProviders.findBySlug(edited.slug)) as IdentityProviderRecord;
      expect(await openSecret(stored)).toBe('a-new-secret-0b7');
      const events = await eventsSince(app, before);
      expect(events.map((event) => [event.type, event.actor, event.details])).toEqual([['provider.updated', admin.user.id, { provider: edited.slug, changed: ['clientSecret'] }]]);
      const after = await admin.page(`/admin/providers/${edited.slug}?done=saved`);
      expect(after.body).not.toContain('a-new-secret-0b7');
      expect(noticeOf(after)).toBe('The changes were saved.');
    });

    it('cannot change the slug or the kind, whatever the form says', async () => {
      const fixed = await provider();
      const page = await admin.page(`/admin/providers/${fixed.slug}`);
      const answer = await admin.post(`/admin/providers/${fixed.slug}`, { ...formFields(page.body), slug: 'other-slug', kind: 'ldap', name: 'Still here' });
      expect(answer.status).toBe(303);
      expect(await app.store.identityProviders.findBySlug('other-slug')).toBeNull();
      expect(await app.store.identityProviders.findBySlug(fixed.slug)).toMatchObject({ kind: 'oidc', name: 'Still here' });
    });

    it('refuses a bad edit at its field, typed secret not echoed, nothing written', async () => {
      const kept = await provider();
      const page = await admin.page(`/admin/providers/${kept.slug}`);
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/providers/${kept.slug}`, { ...formFields(page.body), issuer: 'ftp://nope.example', client_secret: OAUTH2_SECRET });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, 'issuer')).not.toBeNull();
      expect(inputTag(answer, 'issuer')).toContain('value="ftp://nope.example"');
      expectNoSecret(answer);
      expect(await app.store.identityProviders.findBySlug(kept.slug)).toEqual(kept);
      expect(await lastEventId(app)).toBe(before);
    });

    it('edits an LDAP directory: StartTLS turned off only when unticked, the CA replaced', async () => {
      const answer = await admin.post('/admin/providers?kind=ldap', ldapForm({ slug: 'edit-dir' }));
      expect(answer.status).toBe(303);
      const page = await admin.page('/admin/providers/edit-dir');
      const { starttls: _ticked, ...fields } = formFields(page.body);
      const edit = await admin.post('/admin/providers/edit-dir', { ...fields, ca: CA_PEM });
      expect(edit.status, edit.body).toBe(303);
      const stored = (await app.store.identityProviders.findBySlug('edit-dir')) as IdentityProviderRecord;
      expect(JSON.parse(stored.settings)).toMatchObject({ startTls: false, ca: expect.stringContaining('BEGIN CERTIFICATE') });
      expect(await openSecret(stored)).toBe(BIND_PASSWORD);
      expect((await admin.page('/admin/providers/edit-dir')).body).toContain('passwords cross the network unencrypted');
    });
  });

  describe('deleting', () => {
    it('says how many linked accounts lose that way to sign in, then deletes the provider and its links', async () => {
      const doomed = await provider({ name: 'Doomed' });
      const one = await linkPerson(doomed.slug, 'a');
      const two = await linkPerson(doomed.slug, 'b');
      const confirm = await admin.page(`/admin/providers/${doomed.slug}/delete`);
      expectStrictAdminPage(confirm, 'delete');
      expect(confirm.body).toContain('2 linked accounts lose this way to sign in.');
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/providers/${doomed.slug}/delete`, {});
      expect(answer.status).toBe(303);
      expect(new URL(answer.location ?? '').pathname).toBe('/admin/providers');
      expect(await app.store.identityProviders.findBySlug(doomed.slug)).toBeNull();
      expect(await app.store.federatedIdentities.listForUser(one.id)).toEqual([]);
      expect(await app.store.federatedIdentities.listForUser(two.id)).toEqual([]);
      expect(await app.store.users.findById(one.id)).not.toBeNull();
      const events = await eventsSince(app, before);
      expect(events.map((event) => [event.type, event.actor, event.details])).toEqual([['provider.deleted', admin.user.id, { provider: doomed.slug, linked: 2 }]]);
      expect(noticeOf(await admin.page('/admin/providers?done=deleted'))).toContain('The provider was deleted');
    });

    it('says when no account is linked, and answers 404 for an unknown provider', async () => {
      const lonely = await provider();
      expect((await admin.page(`/admin/providers/${lonely.slug}/delete`)).body).toContain('No account is linked to this provider.');
      const before = await lastEventId(app);
      expect((await admin.browser.get(`${app.url}/admin/providers/no-such-provider`)).status).toBe(404);
      expect((await admin.post('/admin/providers/no-such-provider/delete', {})).status).toBe(404);
      expect(await lastEventId(app)).toBe(before);
    });
  });
});
