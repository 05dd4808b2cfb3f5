// The Attributes admin screens (issue 21) over HTTP: defining an attribute (and the refusals: a reserved claim in
// any case, a standard claim with another scope than its own, a name or claim taken, bad characters, a forged type,
// no CSRF token, not an administrator: nothing written), editing its claim, scope and visibility, deleting it after
// a confirmation that says the values go too; and a person's values on their page: set (read against the type),
// refused when they do not fit it, cleared. Every change is audited through src/manage/attributes.ts, a value
// never in the audit log.
import { beforeAll, describe, expect, it } from 'vitest';
import { defineAttribute } from '../../src/manage/attributes.js';
import type { AttributeDefinition, AttributeType } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, formFields } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { expectAnonymousSentToLogin, expectCsrfRefused, expectNonAdminRefused, expectStaleAdminAsked, expectStrictAdminPages, signedInNonAdmin, type AdminRoute } from './admin-access-checks.js';
import { appWithAdminPerTest, eventsSince, fieldError, inputTag, isConfirmPage, lastEventId, noticeOf, XSS, XSS_ESCAPED, asStaleAdmin as staleAdmin } from './admin-screen-helpers.js';

describe('admin: the Attributes screens (issue 21)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let serial = 0;

  const ctx = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test' });
  const define = (name: string, type: AttributeType = 'string', extra: Partial<{ claim: string; scope: string; userVisible: boolean }> = {}): Promise<AttributeDefinition> =>
    defineAttribute(ctx(), { name, type, claim: extra.claim ?? name, scope: extra.scope ?? 'org', userVisible: extra.userVisible ?? false });
  const person = () => {
    serial += 1;
    return addUser(app, `person${serial}@example.com`, { name: `Person ${serial}` });
  };

  const asStaleAdmin = <T>(body: (stale: SignedInAdmin) => Promise<T>): Promise<T> => staleAdmin(app, clock, `stale${(serial += 1)}@example.com`, body);

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  describe('who may use them', () => {
    let userId: string;
    let plain: Browser;
    const routes = (): AdminRoute[] => [
      { method: 'GET', path: '/admin/attributes' },
      { method: 'POST', path: '/admin/attributes', form: { name: 'acl_new', type: 'string', claim: 'acl_new', scope: 'org' } },
      { method: 'GET', path: '/admin/attributes/acl_attr' },
      { method: 'POST', path: '/admin/attributes/acl_attr', form: { claim: 'acl_attr', scope: 'org', user_visible: 'on' } },
      { method: 'POST', path: '/admin/attributes/acl_attr', form: { claim: 'acl_moved', scope: 'org' }, sensitive: true },
      { method: 'POST', path: '/admin/attributes/acl_attr', form: { claim: 'acl_attr', scope: 'other' }, sensitive: true },
      { method: 'GET', path: '/admin/attributes/acl_attr/delete' },
      { method: 'POST', path: '/admin/attributes/acl_attr/delete', sensitive: true },
      { method: 'POST', path: `/admin/users/${userId}/attributes/acl_attr`, form: { value: 'Engineering' }, sensitive: true },
      { method: 'POST', path: `/admin/users/${userId}/attributes/acl_attr/clear` },
    ];

    beforeAll(async () => {
      await define('acl_attr');
      const user = await addUser(app, 'acl-user@example.com', { name: 'Acl User' });
      userId = user.id;
      await app.store.attributes.setValue(userId, 'acl_attr', 'Sales', clock.now());
      plain = await signedInNonAdmin(app, 'acl-plain@example.com');
    });

    it('sends anonymous visitors to the login page and refuses non-administrators with a 403, changing nothing', async () => {
      await expectAnonymousSentToLogin(app, routes());
      await expectNonAdminRefused(app, plain, routes());
      expect(await app.store.attributes.find('acl_new')).toBeNull();
      expect(await app.store.attributes.valuesOf(userId)).toEqual({ acl_attr: 'Sales' });
    });

    it('answers GETs with 200 under the strict CSP, and refuses POSTs without this session’s CSRF token, changing nothing', async () => {
      await expectStrictAdminPages(app, admin, routes());
      await expectCsrfRefused(app, admin, await signedInAdmin(app, 'acl-second-admin@example.com'), routes());
      expect(await app.store.attributes.find('acl_attr')).toMatchObject({ claim: 'acl_attr', scope: 'org', userVisible: false });
    });

    it('asks a stale administrator for the password before each sensitive change, and changes nothing', async () => {
      await expectStaleAdminAsked(app, routes(), asStaleAdmin);
      expect(await app.store.attributes.find('acl_attr')).toMatchObject({ claim: 'acl_attr', scope: 'org' });
      expect(await app.store.attributes.valuesOf(userId)).toEqual({ acl_attr: 'Sales' });
    });

    it('lets a stale administrator define one, change only its visibility and clear a value without a password', async () => {
      await asStaleAdmin(async (stale) => {
        expect((await stale.post('/admin/attributes', { name: 'acl_stale', type: 'string', claim: 'acl_stale', scope: 'org' })).status).toBe(303);
        expect((await stale.post('/admin/attributes/acl_attr', { claim: 'acl_attr', scope: 'org', user_visible: 'on' })).status).toBe(303);
        expect((await stale.post(`/admin/users/${userId}/attributes/acl_attr/clear`, {})).status).toBe(303);
      });
      expect(await app.store.attributes.find('acl_attr')).toMatchObject({ userVisible: true });
      expect(await app.store.attributes.valuesOf(userId)).toEqual({});
    });
  });

  describe('defining an attribute', () => {
    it('defines it, audited as attribute.defined, and lists it', async () => {
      const page = await admin.page('/admin/attributes');
      expect(page.body).toContain('<a href="/admin/attributes" aria-current="page">Attributes</a>');
      for (const label of ['<label for="name">Name</label>', '<label for="type">Type</label>', '<label for="claim">Claim</label>', '<label for="scope">Scope</label>'])
        expect(page.body).toContain(label);
      const before = await lastEventId(app);
      const answer = await admin.post('/admin/attributes', { name: 'department', type: 'list', claim: 'https://example.com/department', scope: 'org', user_visible: 'on' });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/attributes?done=defined`);
      expect(await app.store.attributes.find('department')).toMatchObject({ type: 'list', claim: 'https://example.com/department', scope: 'org', userVisible: true });
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'attribute.defined', actor: admin.user.id, subject: 'department', ip: '127.0.0.1' }]);
      const list = await admin.page('/admin/attributes?done=defined');
      expect(noticeOf(list)).toContain('The attribute is defined.');
      expect(list.body).toMatch(
        /<a href="\/admin\/attributes\/department">department<\/a><\/td>\s*<td>list<\/td>\s*<td><code>https:\/\/example.com\/department<\/code><\/td>\s*<td><code>org<\/code><\/td>\s*<td>yes<\/td>/,
      );
    });

    it('a standard claim with its own scope is fine', async () => {
      expect((await admin.post('/admin/attributes', { name: 'given', type: 'string', claim: 'given_name', scope: 'profile' })).status).toBe(303);
    });

    it.each([
      ['a reserved claim', { name: 'subject', claim: 'sub', scope: 'org' }, 'claim', 'reserved'],
      ['a reserved claim in another case', { name: 'mail', claim: 'Email', scope: 'org' }, 'claim', 'reserved'],
      ['the groups claim', { name: 'teams', claim: 'groups', scope: 'org' }, 'claim', 'reserved'],
      ['a standard claim with another scope', { name: 'nick', claim: 'nickname', scope: 'org' }, 'scope', 'profile'],
      ['a reserved scope', { name: 'thing', claim: 'thing', scope: 'openid' }, 'scope', 'reserved'],
      ['bad characters in the name', { name: 'Bad-Name', claim: 'bad', scope: 'org' }, 'name', 'not a valid attribute name'],
      ['bad characters in the claim', { name: 'spaced', claim: 'has space', scope: 'org' }, 'claim', 'not a valid claim name'],
      ['a forged type', { name: 'typed', claim: 'typed', scope: 'org', type: 'date' }, 'type', 'must be one of'],
    ])('refuses %s (400), under the field with the form kept, and writes nothing', async (_what, form, field, message) => {
      const before = await lastEventId(app);
      const count = (await app.store.attributes.list()).length;
      const answer = await admin.post('/admin/attributes', { type: 'string', ...form });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, field)).toContain(message);
      expect(inputTag(answer, 'claim')).toContain(`value="${form.claim}"`);
      expect((await app.store.attributes.list()).length).toBe(count);
      expect(await lastEventId(app)).toBe(before);
    });

    it('refuses a name or a claim another attribute has (409) under its field, and writes nothing', async () => {
      await define('taken_name', 'string', { claim: 'taken_claim' });
      const before = await lastEventId(app);
      const name = await admin.post('/admin/attributes', { name: 'taken_name', type: 'string', claim: 'fresh_claim', scope: 'org' });
      expect(name.status).toBe(409);
      expect(fieldError(name, 'name')).toContain('already exists');
      const claim = await admin.post('/admin/attributes', { name: 'fresh_name', type: 'string', claim: 'taken_claim', scope: 'org' });
      expect(claim.status).toBe(409);
      expect(fieldError(claim, 'claim')).toContain('already released');
      expect(await app.store.attributes.find('fresh_name')).toBeNull();
      expect(await lastEventId(app)).toBe(before);
    });
  });

  describe('editing and deleting a definition', () => {
    it('changes the claim, scope and visibility, audited as attribute.updated; a reserved claim is refused', async () => {
      await define('team', 'string', { claim: 'team' });
      const page = await admin.page('/admin/attributes/team');
      expect(page.body).toContain('<h1>team</h1>');
      expect(inputTag(page, 'claim')).toContain('value="team"');
      const before = await lastEventId(app);
      const answer = await admin.post('/admin/attributes/team', { claim: 'https://example.com/team', scope: 'teams', user_visible: 'on' });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/attributes/team?done=saved`);
      expect(await app.store.attributes.find('team')).toMatchObject({ claim: 'https://example.com/team', scope: 'teams', userVisible: true });
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'attribute.updated', actor: admin.user.id, subject: 'team' }]);
      const middle = await lastEventId(app);
      const refused = await admin.post('/admin/attributes/team', { claim: 'AUD', scope: 'teams', user_visible: 'on' });
      expect(refused.status).toBe(400);
      expect(fieldError(refused, 'claim')).toContain('reserved');
      expect(inputTag(refused, 'claim')).toContain('value="AUD"');
      expect((await app.store.attributes.find('team'))?.claim).toBe('https://example.com/team');
      expect(await lastEventId(app)).toBe(middle);
      expect((await admin.browser.get(`${app.url}/admin/attributes/no_such_attribute`)).status).toBe(404);
    });

    it('asks before deleting, saying every value goes too; then deletes it with the values, audited as attribute.deleted', async () => {
      await define('badge', 'number', { claim: 'badge_no' });
      const ada = await person();
      await app.store.attributes.setValue(ada.id, 'badge', 42, clock.now());
      const page = await admin.page('/admin/attributes/badge/delete');
      expect(page.body).toContain('<h1>Delete the attribute badge?</h1>');
      expect(page.body).toContain('Every person’s value of it is deleted too.');
      expect(page.body).toContain('<form method="post" action="/admin/attributes/badge/delete" class="form">');
      const before = await lastEventId(app);
      const answer = await admin.post('/admin/attributes/badge/delete', {});
      expect(answer.location).toBe(`${app.url}/admin/attributes?done=deleted`);
      expect(await app.store.attributes.find('badge')).toBeNull();
      expect(await app.store.attributes.valuesOf(ada.id)).toEqual({});
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'attribute.deleted', actor: admin.user.id, subject: 'badge' }]);
    });
  });

  describe("a person's values on their page", () => {
    beforeAll(async () => {
      await define('v_text', 'string');
      await define('v_number', 'number');
      await define('v_flag', 'boolean');
      await define('v_list', 'list');
    });

    it('shows every defined attribute with its value and a labelled form; values are text', async () => {
      const ada = await person();
      await app.store.attributes.setValue(ada.id, 'v_text', XSS, clock.now());
      await app.store.attributes.setValue(ada.id, 'v_list', ['a', 'b'], clock.now());
      const page = await admin.page(`/admin/users/${ada.id}`);
      expect(page.body).toContain('<h2 id="attributes-heading">Attributes</h2>');
      expect(page.body).toContain(`<span data-testid="value-v_text">${XSS_ESCAPED}</span>`);
      expect(page.body).toContain('<span data-testid="value-v_list">a, b</span>');
      expect(page.body).toContain('<span class="muted" data-testid="value-v_number">not set</span>');
      expect(page.body).toContain('<label for="attribute-v_number">New value of v_number</label>');
      expect(inputTag(page, 'attribute-v_list')).toContain('value="a, b"');
      expect(page.body).toContain('<select id="attribute-v_flag" name="value"');
      expect(page.body).toContain(`<form method="post" action="/admin/users/${ada.id}/attributes/v_text/clear" class="inline">`);
      expect(page.body).not.toContain(`action="/admin/users/${ada.id}/attributes/v_number/clear"`);
      expect(page.body).not.toContain(XSS);
    });

    it('sets each type from its text, audited as user.attribute_set with the name and never the value', async () => {
      const ada = await person();
      const before = await lastEventId(app);
      for (const [name, value] of [
        ['v_text', 'Engineering'],
        ['v_number', '42.5'],
        ['v_flag', 'true'],
        ['v_list', 'red, green ,blue'],
      ]) {
        const answer = await admin.post(`/admin/users/${ada.id}/attributes/${name}`, { value: value ?? '' });
        expect(answer.status, `${name}: ${answer.body.slice(0, 200)}`).toBe(303);
        expect(answer.location).toBe(`${app.url}/admin/users/${ada.id}?done=attribute-set`);
      }
      expect(await app.store.attributes.valuesOf(ada.id)).toEqual({ v_text: 'Engineering', v_number: 42.5, v_flag: true, v_list: ['red', 'green', 'blue'] });
      const events = await eventsSince(app, before);
      expect(events.map((event) => [event.type, event.subject, event.details?.name])).toEqual([
        ['user.attribute_set', ada.id, 'v_text'],
        ['user.attribute_set', ada.id, 'v_number'],
        ['user.attribute_set', ada.id, 'v_flag'],
        ['user.attribute_set', ada.id, 'v_list'],
      ]);
      expect(JSON.stringify(events)).not.toContain('Engineering');
      expect(noticeOf(await admin.page(`/admin/users/${ada.id}?done=attribute-set`))).toBe('The attribute value was saved.');
    });

    it('refuses a value that does not fit the type (400) under that attribute’s field with what was typed, and writes nothing', async () => {
      const ada = await person();
      await app.store.attributes.setValue(ada.id, 'v_number', 7, clock.now());
      const before = await lastEventId(app);
      for (const [name, value] of [
        ['v_number', 'forty-two'],
        ['v_flag', 'maybe'],
        ['v_list', '["a", 1]'],
        ['v_text', 'line\u0001break'],
        ['v_text', 'x'.repeat(1001)],
      ]) {
        const answer = await admin.post(`/admin/users/${ada.id}/attributes/${name}`, { value: value ?? '' });
        expect(answer.status, `${name}=${value}`).toBe(400);
        expect(fieldError(answer, `attribute-${name}`), name).toBeTruthy();
      }
      const shown = await admin.post(`/admin/users/${ada.id}/attributes/v_number`, { value: XSS });
      expect(inputTag(shown, 'attribute-v_number')).toContain(`value="${XSS_ESCAPED}"`);
      expect(inputTag(shown, 'attribute-v_number')).toContain('aria-invalid="true"');
      expect(shown.body).not.toContain(XSS);
      expect(await app.store.attributes.valuesOf(ada.id)).toEqual({ v_number: 7 });
      expect(await lastEventId(app)).toBe(before);
      expect((await admin.post(`/admin/users/${ada.id}/attributes/no_such_attribute`, { value: 'x' })).status).toBe(404);
    });

    it('clears a value, audited', async () => {
      const ada = await person();
      await app.store.attributes.setValue(ada.id, 'v_text', 'Sales', clock.now());
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/users/${ada.id}/attributes/v_text/clear`, {});
      expect(answer.location).toBe(`${app.url}/admin/users/${ada.id}?done=attribute-cleared`);
      expect(await app.store.attributes.valuesOf(ada.id)).toEqual({});
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'user.attribute_set', subject: ada.id, details: { name: 'v_text' } }]);
    });

    it('sets a value after the "Confirm it’s you" page of a stale sign-in, with the password', async () => {
      const ada = await person();
      await asStaleAdmin(async (stale) => {
        const confirm = await stale.post(`/admin/users/${ada.id}/attributes/v_text`, { value: 'Confirmed' });
        expect(isConfirmPage(confirm)).toBe(true);
        const { csrf: _csrf, ...fields } = formFields(confirm.body);
        expect(fields.value).toBe('Confirmed');
        expect((await stale.post(`/admin/users/${ada.id}/attributes/v_text`, { ...fields, confirm_password: PASSWORD })).status).toBe(303);
      });
      expect(await app.store.attributes.valuesOf(ada.id)).toEqual({ v_text: 'Confirmed' });
    });
  });
});
