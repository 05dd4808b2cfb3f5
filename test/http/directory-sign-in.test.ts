// Directory (LDAP) people sign in with their directory password through our own login form (issue 23), against a
// real OpenLDAP (test/helpers/slapd.ts): an account is made just in time and linked, the session and the ID token
// name the directory (`idp`), a wrong password or a locked entry gets the generic failure, counted and audited, the
// throttle holds, the local password of a directory person is never tried, a disabled directory's people are
// refused (fail closed), and groups and name follow the directory at each sign-in.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argon2VerificationsPerformed } from '../../src/auth/password-hash.js';
import { openSecretBox } from '../../src/auth/secret-box.js';
import type { LdapSettings } from '../../src/federation/provider-settings.js';
import { setPassword } from '../../src/manage/users.js';
import type { IdentityProviderRecord, NewIdentityProvider, UserRecord } from '../../src/store/records.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { sealedProvider } from '../helpers/federation-fixtures.js';
import { addClient, addUser, authorizationUrl, manage, open, PASSWORD, redeemRaw, submitLogin } from '../helpers/oidc.js';
import { ldapSettingsFor, startSlapd, type Slapd } from '../helpers/slapd.js';
import { signInFormFrom, loginAlertOf } from '../helpers/sign-in-form.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const GENERIC = 'Incorrect email or password.';
const LOCAL_PASSWORD = 'a local password an admin once set';

/** An ldap identity_providers row for `slapd` (the service account's password sealed as the app seals it). */
export async function addDirectory(
  app: RunningApp,
  slapd: Pick<Slapd, 'url' | 'caPem' | 'serviceDn' | 'userBase' | 'groupBase' | 'servicePassword'>,
  row: Omit<Partial<NewIdentityProvider>, 'settings' | 'secret'> & { slug: string },
  settings: Partial<LdapSettings> = {},
): Promise<IdentityProviderRecord> {
  const box = await openSecretBox(app.config);
  const fields = { kind: 'ldap' as const, name: 'Corp Directory', jit: true, ...row, settings: ldapSettingsFor(slapd as Slapd, settings), secret: slapd.servicePassword };
  return app.store.identityProviders.create(sealedProvider(box, fields), app.clock.now());
}

describe('signing in with a directory password', () => {
  let slapd: Slapd;
  let app: RunningApp;
  let address = 0;

  beforeAll(async () => {
    slapd = await startSlapd();
    // Each test signs in from its own address (X-Forwarded-For through a trusted loopback proxy): the per-address
    // budget of one test does not run into the next.
    app = await startApp({ env: { TRUST_PROXY: 'loopback', FEDERATION_TIMEOUT_MS: '5000' } });
    await addDirectory(app, slapd, { slug: 'corp', groupsMode: 'merge' });
  });

  afterAll(async () => {
    await app?.stop();
    await slapd?.stop();
  });

  /** The sign-in form of /account in a new browser from a new address, and a way to submit it. */
  const signInForm = (ip = `198.51.100.${++address}`) => signInFormFrom(app, ip);

  const audits = (type: string) => app.store.audit.list({ limit: 100, filter: { type } });
  const accountOf = async (email: string) => app.store.users.findByEmail(email);

  it('makes the account just in time, links it, and names the directory in the session and the ID token', async () => {
    const client = await addClient(app);
    const start = await authorizationUrl(client);
    const browser = new Browser();
    const login = await open(browser, app, start.url);
    const answer = await submitLogin(browser, login, slapd.users.alice.email, slapd.users.alice.password);
    expect(answer.status, answer.body).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.origin + callback.pathname).toBe(client.redirectUri);

    const alice = (await accountOf('alice@example.org')) as UserRecord;
    expect(alice).toMatchObject({ email: 'alice@example.org', name: 'Alice L.', hasPassword: false, emailVerified: true, isAdmin: false, disabled: false });
    const [link] = await app.store.federatedIdentities.listForUser(alice.id);
    expect(link).toMatchObject({ providerSlug: 'corp', email: 'alice@example.org' });
    expect(link?.subject).not.toBe(slapd.users.alice.dn); // the entryUUID, not the DN
    expect((await audits('identity.linked')).map((event) => ({ subject: event.subject, details: event.details }))).toEqual([{ subject: alice.id, details: { provider: 'corp', via: 'jit' } }]);
    const [session] = await app.store.sessions.listForUser(alice.id, Date.now());
    expect(session).toMatchObject({ idp: 'corp', amr: ['pwd'] });

    const tokens = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    const claims = decodeJwt(tokens.id_token ?? '');
    expect(claims).toMatchObject({ sub: alice.id, idp: 'corp', amr: ['pwd'] });
  });

  it('answers a wrong password, a locked entry and an unknown email with the same generic failure, counted and audited', async () => {
    const form = await signInForm();
    const before = argon2VerificationsPerformed().count;
    const wrong = await form.submit(slapd.users.bob.email, 'not bob at all');
    // The hashing slot is taken as for a password: one verification of the decoy hash, before the directory is asked.
    expect(argon2VerificationsPerformed().count - before).toBe(1);
    expect(wrong.status).toBe(401);
    expect(loginAlertOf(wrong)).toBe(GENERIC);
    const locked = await form.submit(slapd.users.carol.email, slapd.users.carol.password);
    expect(locked.status).toBe(401);
    expect(loginAlertOf(locked)).toBe(GENERIC);
    const unknown = await form.submit('nobody@example.org', 'whatever it is');
    expect(unknown.status).toBe(401);
    expect(loginAlertOf(unknown)).toBe(GENERIC);
    expect(locked.body.replace(slapd.users.carol.email, 'X')).toBe(unknown.body.replace('nobody@example.org', 'X'));

    // Nobody was made an account by a failure.
    expect(await accountOf(slapd.users.bob.email)).toBeNull();
    expect(await accountOf(slapd.users.carol.email)).toBeNull();
    const failures = (await audits('signin.failed')).map((event) => event.details).reverse();
    expect(failures.slice(-3)).toEqual([{ reason: 'wrong_password', provider: 'corp' }, { reason: 'account_locked', provider: 'corp' }, { reason: 'unknown_account' }]);
  });

  it('throttles directory guesses like passwords: after five wrong ones the right one is refused with 429', async () => {
    await slapd.addEntry(`dn: uid=erin,${slapd.userBase}\nobjectClass: inetOrgPerson\nuid: erin\ncn: Erin Example\nsn: Example\nmail: erin@example.org\nuserPassword: erin-password-6\n`);
    const form = await signInForm();
    for (let i = 0; i < 5; i++) expect((await form.submit('erin@example.org', `wrong guess ${i}`)).status).toBe(401);
    const right = await form.submit('erin@example.org', 'erin-password-6');
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(loginAlertOf(right)).toMatch(/Too many failed sign-in attempts for this account\. Try again in/);
    expect(await accountOf('erin@example.org')).toBeNull();
    expect((await audits('signin.throttled')).length).toBeGreaterThan(0);
  });

  it('never tries the local password of a directory person, even one an administrator set', async () => {
    // Alice's account was made by her first sign-in (first test); give it a local password.
    const alice = (await accountOf('alice@example.org')) as UserRecord;
    await setPassword(manage(app), alice.id, LOCAL_PASSWORD);
    const form = await signInForm();
    const local = await form.submit(alice.email, LOCAL_PASSWORD);
    expect(local.status).toBe(401);
    expect(loginAlertOf(local)).toBe(GENERIC);
    const [failure] = await audits('signin.failed');
    expect(failure).toMatchObject({ subject: alice.id, details: { reason: 'wrong_password', provider: 'corp' } });
    const directory = await form.submit(alice.email, slapd.users.alice.password);
    expect(directory.status, directory.body).toBe(303);
    expect(directory.location).toBe(`${app.url}/account`);
  });

  it('refuses the people of a disabled directory, whatever password they type (fail closed)', async () => {
    const first = await signInForm();
    expect((await first.submit(slapd.users.bob.email, slapd.users.bob.password)).status).toBe(303);
    const bob = (await accountOf(slapd.users.bob.email)) as UserRecord;
    await setPassword(manage(app), bob.id, LOCAL_PASSWORD);
    await app.store.identityProviders.update('corp', { enabled: false }, Date.now());
    try {
      const form = await signInForm();
      for (const password of [LOCAL_PASSWORD, slapd.users.bob.password]) {
        const answer = await form.submit(bob.email, password);
        expect(answer.status).toBe(401);
        expect(loginAlertOf(answer)).toBe(GENERIC);
      }
      const [failure] = await audits('signin.failed');
      expect(failure).toMatchObject({ subject: bob.id, details: { reason: 'provider_disabled', provider: 'corp' } });
      // Someone the directory knows but Gatehouse does not: with no enabled directory, an unknown email.
      const unknown = await form.submit(slapd.users.dan.email, slapd.users.dan.password);
      expect(unknown.status).toBe(401);
      expect(await accountOf(slapd.users.dan.email)).toBeNull();
    } finally {
      await app.store.identityProviders.update('corp', { enabled: true }, Date.now());
    }
  });

  it('refuses a directory person with no account when the directory makes none, with the generic failure', async () => {
    await slapd.addEntry(`dn: uid=fay,${slapd.userBase}\nobjectClass: inetOrgPerson\nuid: fay\ncn: Fay Example\nsn: Example\nmail: fay@example.org\nuserPassword: fay-password-7\n`);
    await app.store.identityProviders.update('corp', { jit: false }, Date.now());
    try {
      const answer = await (await signInForm()).submit('fay@example.org', 'fay-password-7');
      expect(answer.status).toBe(401);
      expect(loginAlertOf(answer)).toBe(GENERIC);
      expect(await accountOf('fay@example.org')).toBeNull();
      const [failure] = await audits('signin.failed');
      expect(failure).toMatchObject({ subject: null, details: { reason: 'account_refused', provider: 'corp' } });
    } finally {
      await app.store.identityProviders.update('corp', { jit: true }, Date.now());
    }
  });

  it('follows a new email of the directory entry: the linked account moves to it, verified', async () => {
    expect((await (await signInForm()).submit(slapd.users.dan.email, slapd.users.dan.password)).status).toBe(303);
    const dan = (await accountOf(slapd.users.dan.email)) as UserRecord;
    await slapd.modify(`dn: ${slapd.users.dan.dn}\nchangetype: modify\nreplace: mail\nmail: dan.new@example.org\n`);
    try {
      // The old address: the account is the directory's, and the directory no longer has it.
      expect((await (await signInForm()).submit(slapd.users.dan.email, slapd.users.dan.password)).status).toBe(401);
      expect((await (await signInForm()).submit('dan.new@example.org', slapd.users.dan.password)).status).toBe(303);
      expect(await app.store.users.findById(dan.id)).toMatchObject({ email: 'dan.new@example.org', emailVerified: true });
      expect(await accountOf(slapd.users.dan.email)).toBeNull();
    } finally {
      await slapd.modify(`dn: ${slapd.users.dan.dn}\nchangetype: modify\nreplace: mail\nmail: ${slapd.users.dan.email}\n`);
    }
  });

  it('keeps a local person on the local password, even when a directory has the same email', async () => {
    // Not linked to any directory: today's path, unchanged (the directory is not asked).
    const twin = await addUser(app, 'twin.local@example.org');
    const form = await signInForm();
    expect((await form.submit(twin.email, PASSWORD)).status).toBe(303);
    expect(await app.store.federatedIdentities.listForUser(twin.id)).toEqual([]);
  });

  it('follows the directory at each sign-in: groups merged or replaced, only existing groups, name updated', async () => {
    const ids = new Map<string, string>();
    for (const name of ['engineers', 'admins', 'sales']) ids.set(name, (await app.store.groups.create({ id: `g-${name}`, name, description: '', requireMfa: false }, Date.now())).id);
    const alice = (await accountOf('alice@example.org')) as UserRecord;
    const groupsOf = async () => (await app.store.groups.groupsOf(alice.id)).map((group) => group.name).sort();
    await app.store.groups.addMember('g-sales', alice.id, Date.now());

    // merge: joins engineers and admins (alice's directory groups), stays in sales.
    expect((await (await signInForm()).submit(alice.email, slapd.users.alice.password)).status).toBe(303);
    expect(await groupsOf()).toEqual(['admins', 'engineers', 'sales']);
    const added = await app.store.audit.list({ limit: 10, filter: { type: 'group.member_added', actor: 'federation:corp' } });
    expect(added.map((event) => event.details.group).sort()).toEqual(['admins', 'engineers']);

    // replace: leaves sales, which the directory does not name.
    await app.store.identityProviders.update('corp', { groupsMode: 'replace' }, Date.now());
    expect((await (await signInForm()).submit(alice.email, slapd.users.alice.password)).status).toBe(303);
    expect(await groupsOf()).toEqual(['admins', 'engineers']);
    const [removed] = await app.store.audit.list({ limit: 1, filter: { type: 'group.member_removed' } });
    expect(removed).toMatchObject({ actor: 'federation:corp', subject: alice.id, details: { group: 'sales', group_id: 'g-sales' } });

    // The directory renames her and takes her out of admins: the next sign-in follows.
    await slapd.modify(`dn: ${slapd.users.alice.dn}\nchangetype: modify\nreplace: displayName\ndisplayName: Alice Liddell-Hargreaves\n`);
    await slapd.modify(`dn: cn=admins,${slapd.groupBase}\nchangetype: modify\nreplace: member\nmember: ${slapd.users.bob.dn}\n`);
    expect((await (await signInForm()).submit(alice.email, slapd.users.alice.password)).status).toBe(303);
    expect(await groupsOf()).toEqual(['engineers']);
    expect((await accountOf(alice.email))?.name).toBe('Alice Liddell-Hargreaves');
    await app.store.identityProviders.update('corp', { groupsMode: 'merge' }, Date.now());
  });
});

describe('a directory that does not answer', () => {
  let app: RunningApp;
  let address = 0;

  beforeAll(async () => {
    app = await startApp({ env: { TRUST_PROXY: 'loopback', FEDERATION_TIMEOUT_MS: '2000' } });
    // Nothing listens on port 1 of the loopback: the connection is refused at once.
    const nowhere = {
      url: 'ldap://127.0.0.1:1',
      caPem: '',
      serviceDn: 'cn=gatehouse,dc=example,dc=org',
      userBase: 'ou=people,dc=example,dc=org',
      groupBase: 'ou=groups,dc=example,dc=org',
      servicePassword: 'x',
    };
    await addDirectory(app, nowhere, { slug: 'down', name: 'Down Directory' }, { startTls: false, ca: null });
  });

  afterAll(async () => {
    await app?.stop();
  });

  async function submit(email: string, password: string): Promise<Page> {
    const browser = new Browser();
    const headers = { 'X-Forwarded-For': `203.0.113.${++address}` };
    const form = await browser.request(`${app.url}/login?return_to=%2Faccount`, { headers });
    return browser.postForm(`${app.url}/login`, { ...formFields(form.body), email, password }, headers);
  }

  it('answers 503 naming the directory, and never accepts the stale local password of its people', async () => {
    const dora = await addUser(app, 'dora@example.org');
    await app.store.federatedIdentities.link({ providerSlug: 'down', subject: 'dora-entry-uuid', userId: dora.id, email: dora.email, createdAt: Date.now() });
    const answer = await submit(dora.email, PASSWORD);
    expect(answer.status).toBe(503);
    expect(loginAlertOf(answer)).toBe('The directory Down Directory is not answering. Try again later.');
    expect(await app.store.sessions.listForUser(dora.id, Date.now())).toEqual([]);
    expect(answer.headers.getSetCookie().some((cookie) => cookie.startsWith('session='))).toBe(false);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'signin.failed' } });
    expect(event).toMatchObject({ subject: dora.id, details: { reason: 'directory_unavailable', provider: 'down' } });
  });

  it('answers 503 for an email no account has: the directory might know it (fail closed)', async () => {
    const answer = await submit('someone.new@example.org', 'any password');
    expect(answer.status).toBe(503);
    expect(loginAlertOf(answer)).toMatch(/Down Directory is not answering/);
  });

  it('leaves local people alone: their password still signs them in', async () => {
    const local = await addUser(app, 'local.only@example.org');
    expect((await submit(local.email, PASSWORD)).status).toBe(303);
  });
});
