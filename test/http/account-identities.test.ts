// The account page's linked sign-in providers (issue 23) over HTTP: the list (provider, the upstream's email, when
// linked, when last used) with "Remove"; removing one's own link (audited identity.unlinked by the person); the
// refusal of the last way to sign in (no password, no passkey, no other link) with a clear message and nothing
// written; CSRF; a stranger's POST naming someone else's link changing nothing. And the password section of an
// account with no password (made at a first federated sign-in): no current password asked for, "Forgot password"
// pointed to instead, a forged password change refused; and of a person whose password a directory holds.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { hashSecret, randomId, randomSecret } from '../../src/auth/secrets.js';
import type { IdentityProviderRecord, UserRecord } from '../../src/store/records.js';
import { Browser, type Page } from '../helpers/browser.js';
import { identitiesSection, linkedIdentityFixtures } from '../helpers/federation-fixtures.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { csrfOf, lastEventId, newPerson, personIn, signedInPerson, type SignedInPerson } from './account-helpers.js';

/** The "Linked sign-in providers" section alone. */
const sectionOf = (page: Page): string => identitiesSection(page.body);

function passwordSection(page: Page): string {
  const start = page.body.indexOf('id="password-heading"');
  return page.body.slice(start, page.body.indexOf('</section>', start));
}

describe('account page: linked sign-in providers (issue 23)', () => {
  let app: RunningApp;
  let acme: IdentityProviderRecord;
  let github: IdentityProviderRecord;

  const fixtures = linkedIdentityFixtures(() => app);
  const provider = fixtures.provider;
  const link = (user: UserRecord, slug: string, email: string | null = `${user.id}@upstream.example`) => fixtures.link(user, slug, email);

  /** An account made at a first federated sign-in (no password), signed in through that provider (a session of its own). */
  async function federatedPerson(slug: string): Promise<SignedInPerson> {
    const user = await fixtures.federatedUser('Fed Person');
    await link(user, slug);
    const secret = randomSecret();
    const now = app.clock.now();
    await app.store.sessions.create({
      idHash: hashSecret(secret),
      sid: randomId(),
      userId: user.id,
      amr: ['fed'],
      idp: slug,
      authTime: now,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + 3_600_000,
    });
    const browser = new Browser();
    // The session cookie's name over http (src/http/cookies.ts: __Host-gatehouse_ only over https).
    browser.setCookie(new URL(app.url).origin, 'gatehouse_session', secret);
    return personIn(app, user, browser);
  }

  beforeAll(async () => {
    app = await startApp();
    acme = await provider({ name: 'Acme <Workspace>' });
    github = await provider({
      name: 'GitHub',
      kind: 'oauth2',
      issuer: undefined,
      authorizationUrl: 'https://gh.example/a',
      tokenUrl: 'https://gh.example/t',
      userinfoUrl: 'https://gh.example/u',
    });
  });

  afterAll(async () => {
    await app.stop();
  });

  it('lists the person’s own links (provider, upstream email, linked, last used), escaped, each with Remove', async () => {
    const user = await newPerson(app, 'lister');
    await link(user, acme.slug, 'ada@acme.example');
    await link(user, github.slug, null);
    await app.store.federatedIdentities.touch(acme.slug, `sub-${acme.slug}-${user.id}`, 'ada@acme.example', app.clock.now());
    const stranger = await newPerson(app, 'other');
    await link(stranger, acme.slug, 'stranger@acme.example');
    const person = await signedInPerson(app, user);
    const page = await person.page();
    const section = sectionOf(page);
    expect(section).toContain('Acme &lt;Workspace&gt;');
    expect(section).not.toContain('Acme <Workspace>');
    expect(section).toContain('ada@acme.example');
    expect(section).toContain('GitHub');
    expect(section).toContain('never');
    expect(section).not.toContain('stranger@acme.example');
    expect(section.match(/name="provider" value="([^"]+)"/g)).toEqual([`name="provider" value="${acme.slug}"`, `name="provider" value="${github.slug}"`]);
    expect(section.match(/<form method="post"[^>]*>\s*<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">/g)).toHaveLength(2);
    // A person with a password keeps the password form.
    expect(passwordSection(page)).toContain('name="current_password"');
  });

  it('says so when nothing is linked', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'unlinked'));
    expect(sectionOf(await person.page())).toContain('No other provider signs you in');
  });

  it('removes the person’s own link, audited as them, and says so', async () => {
    const user = await newPerson(app, 'remover');
    await link(user, acme.slug);
    const person = await signedInPerson(app, user);
    const before = await lastEventId(app);
    const answer = await person.post('/account/identities/remove', { provider: acme.slug });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`${app.url}/account?done=identity-removed`);
    expect(await app.store.federatedIdentities.listForUser(user.id)).toEqual([]);
    const events = (await app.store.audit.list({ limit: 10 })).filter((event) => event.id > before);
    expect(events.map((event) => [event.type, event.actor, event.subject, event.details])).toEqual([['identity.unlinked', user.id, user.id, { provider: acme.slug }]]);
    const page = await person.page('?done=identity-removed');
    expect(sectionOf(page)).toContain('The provider was removed from your account.');
  });

  it('refuses to remove the last way to sign in, with a clear message, writing nothing', async () => {
    const person = await federatedPerson(acme.slug);
    const before = await lastEventId(app);
    const answer = await person.post('/account/identities/remove', { provider: acme.slug });
    expect(answer.status).toBe(409);
    expect(sectionOf(answer)).toContain('This is the last way you can sign in to your account');
    expect(await app.store.federatedIdentities.findForUser(person.user.id, acme.slug)).not.toBeNull();
    expect(await lastEventId(app)).toBe(before);
    // With a second link, either may go.
    await link(person.user, github.slug);
    expect((await person.post('/account/identities/remove', { provider: acme.slug })).status).toBe(303);
    expect((await app.store.federatedIdentities.listForUser(person.user.id)).map((identity) => identity.providerSlug)).toEqual([github.slug]);
  });

  it('lets a stranger remove nothing of someone else’s: their POST naming the other’s link changes nothing', async () => {
    const owner = await newPerson(app, 'owner');
    await link(owner, github.slug);
    const stranger = await signedInPerson(app, await newPerson(app, 'stranger'));
    const before = await lastEventId(app);
    const answer = await stranger.post('/account/identities/remove', { provider: github.slug });
    expect(answer.status).toBe(404);
    expect(await app.store.federatedIdentities.findForUser(owner.id, github.slug)).not.toBeNull();
    expect(await lastEventId(app)).toBe(before);
  });

  it('refuses a removal without this session’s CSRF token, or from no session, writing nothing', async () => {
    const user = await newPerson(app, 'csrf');
    await link(user, acme.slug);
    const person = await signedInPerson(app, user);
    const other = await signedInPerson(app, await newPerson(app, 'csrf-other'));
    const before = await lastEventId(app);
    for (const csrf of [undefined, '', 'forged', csrfOf(await other.page())]) {
      const fields: Record<string, string> = csrf === undefined ? { provider: acme.slug } : { provider: acme.slug, csrf };
      const answer = await person.browser.postForm(`${app.url}/account/identities/remove`, fields);
      expect(answer.status).toBe(403);
    }
    const anonymous = await new Browser().postForm(`${app.url}/account/identities/remove`, { provider: acme.slug, csrf: 'x' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toContain('/login?return_to=');
    expect(await app.store.federatedIdentities.findForUser(user.id, acme.slug)).not.toBeNull();
    expect(await lastEventId(app)).toBe(before);
  });

  it('tells a person with no password that none is set and points to Forgot password, and refuses a forged change', async () => {
    const person = await federatedPerson(github.slug);
    const page = await person.page();
    const section = passwordSection(page);
    expect(section).toContain('No password is set for your account');
    expect(section).toContain(`href="${app.config.basePath}/forgot-password"`);
    expect(section).not.toContain('name="current_password"');
    const before = await lastEventId(app);
    const answer = await person.post('/account/password', { current_password: 'anything', new_password: 'a brand new passphrase for me', confirm_password: 'a brand new passphrase for me' });
    expect(answer.status).toBe(409);
    expect(passwordSection(answer)).toContain('Your account has no password yet');
    expect((await app.store.users.findById(person.user.id))?.passwordHash).toBe(person.user.passwordHash);
    expect(await lastEventId(app)).toBe(before);
  });

  it('tells a person whose password a directory holds to change it there', async () => {
    const directory = await provider({
      kind: 'ldap',
      name: 'Corp Directory',
      issuer: undefined,
      clientId: undefined,
      clientSecret: undefined,
      url: 'ldaps://ldap.corp.example',
      bindDn: 'cn=svc,dc=corp',
      bindPassword: 'bind',
      userBase: 'ou=people,dc=corp',
      userFilter: '(mail={email})',
      passwordResetUrl: 'https://password.corp.example/',
    });
    const user = await newPerson(app, 'directory');
    const person = await signedInPerson(app, user);
    await link(user, directory.slug);
    const page = await person.page();
    expect(passwordSection(page)).toContain('Your password is managed by Corp Directory');
    expect(passwordSection(page)).toContain('href="https://password.corp.example/"');
    const answer = await person.post('/account/password', {
      current_password: 'correct horse battery staple',
      new_password: 'a brand new passphrase for me',
      confirm_password: 'a brand new passphrase for me',
    });
    expect(answer.status).toBe(409);
    expect((await app.store.users.findById(user.id))?.passwordHash).toBe(user.passwordHash);
  });
});
