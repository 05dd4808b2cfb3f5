// A person's linked identities on their admin page (issue 23): each link (provider, upstream email, linked, last
// used) with "Unlink" (POST, CSRF, audited identity.unlinked with the administrator as actor), an administrator
// able to unlink even the last way the person can sign in, "No password set" for an account made at a first
// federated sign-in, and who may do it (anonymous, not an administrator, no CSRF token).
import { beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProviderRecord, UserRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import type { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { identitiesSection, linkedIdentityFixtures } from '../helpers/federation-fixtures.js';
import { addUser } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { expectAnonymousSentToLogin, expectCsrfRefused, expectNonAdminRefused, expectStrictAdminPage, signedInNonAdmin, type AdminRoute } from './admin-access-checks.js';
import { appWithAdminPerTest, eventsSince, lastEventId, noticeOf, XSS, XSS_ESCAPED } from './admin-screen-helpers.js';

describe('admin: a person’s linked identities (issue 23)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let serial = 0;
  let acme: IdentityProviderRecord;

  const unique = (prefix: string) => `${prefix}-${(serial += 1)}`;
  const { provider, link, federatedUser: newFederatedUser } = linkedIdentityFixtures(() => app);
  /** An account made at a first federated sign-in: no password. */
  const federatedUser = () => newFederatedUser('Fed');

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  beforeAll(async () => {
    acme = await provider({ name: `Acme ${XSS}` });
  });

  it('lists the person’s links with Unlink, and says "No password set" for an account without one', async () => {
    const user = await federatedUser();
    await link(user, acme.slug, 'fed@acme.example');
    await app.store.federatedIdentities.touch(acme.slug, `sub-${acme.slug}-${user.id}`, 'fed@acme.example', app.clock.now());
    const page = await admin.page(`/admin/users/${user.id}`);
    expectStrictAdminPage(page, 'user page');
    const section = identitiesSection(page.body);
    expect(section).toContain(XSS_ESCAPED);
    expect(section).not.toContain(XSS);
    expect(section).toContain('fed@acme.example');
    expect(section).toContain(`action="${app.config.basePath}/admin/users/${user.id}/identities/${acme.slug}/unlink"`);
    expect(section).not.toContain('never');
    expect(page.body).toMatch(/data-testid="password-status">No password set</);
    const withPassword = await addUser(app, `${unique('pw')}@example.com`);
    const other = await admin.page(`/admin/users/${withPassword.id}`);
    expect(other.body).toMatch(/data-testid="password-status">Set</);
    expect(identitiesSection(other.body)).toContain('No provider or directory is linked to this account.');
  });

  it('unlinks as the administrator, even the last way the person can sign in, audited identity.unlinked', async () => {
    const user = await federatedUser();
    await link(user, acme.slug, null);
    const before = await lastEventId(app);
    const answer = await admin.post(`/admin/users/${user.id}/identities/${acme.slug}/unlink`, {});
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`${app.url}/admin/users/${user.id}?done=identity-unlinked`);
    expect(await app.store.federatedIdentities.listForUser(user.id)).toEqual([]);
    const events = await eventsSince(app, before);
    expect(events.map((event) => [event.type, event.actor, event.subject, event.details])).toEqual([['identity.unlinked', admin.user.id, user.id, { provider: acme.slug }]]);
    expect(noticeOf(await admin.page(`/admin/users/${user.id}?done=identity-unlinked`))).toContain('The linked sign-in was removed');
  });

  it('answers 404 for a link the person does not have, writing nothing', async () => {
    const user = await addUser(app, `${unique('none')}@example.com`);
    const owner = await addUser(app, `${unique('owner')}@example.com`);
    await link(owner, acme.slug, null);
    const before = await lastEventId(app);
    expect((await admin.post(`/admin/users/${user.id}/identities/${acme.slug}/unlink`, {})).status).toBe(404);
    expect(await app.store.federatedIdentities.findForUser(owner.id, acme.slug)).not.toBeNull();
    expect(await lastEventId(app)).toBe(before);
  });

  describe('who may unlink', () => {
    let user: UserRecord;
    let plain: Browser;
    const routes = (): AdminRoute[] => [
      { method: 'GET', path: `/admin/users/${user.id}` },
      { method: 'POST', path: `/admin/users/${user.id}/identities/${acme.slug}/unlink` },
    ];

    beforeAll(async () => {
      user = await addUser(app, `${unique('target')}@example.com`);
      await link(user, acme.slug, 'kept@acme.example');
      plain = await signedInNonAdmin(app, `${unique('plain')}@example.com`);
    });

    it('sends anonymous visitors to the login page and refuses non-administrators, writing nothing', async () => {
      await expectAnonymousSentToLogin(app, routes());
      await expectNonAdminRefused(app, plain, routes(), 'kept@acme.example');
      expect(await app.store.federatedIdentities.findForUser(user.id, acme.slug)).not.toBeNull();
    });

    it('refuses an unlink without this session’s CSRF token, writing nothing', async () => {
      await expectCsrfRefused(app, admin, await signedInAdmin(app, `${unique('other')}@example.com`), routes());
      expect(await app.store.federatedIdentities.findForUser(user.id, acme.slug)).not.toBeNull();
    });
  });
});
