// The APIs admin screens (issue 22) over HTTP, as an administrator's browser uses them: the list (name, identifier,
// number of scopes, format, audience, number of clients), creating an API through the form and the refusals (a bad
// or taken identifier, a bad or reserved scope name, no scope: each shown next to its field with the form kept, and
// nothing written), editing (scopes as rows, with blank rows for new ones), deleting after a confirmation naming the
// clients that use it, and who may do any of it (anonymous, not an administrator, no CSRF token, a stale sign-in for
// the sensitive changes). Every change goes through src/manage/apis.ts and is audited as the administrator.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApi, deleteApi, type ApiInput } from '../../src/manage/apis.js';
import { createGroup } from '../../src/manage/groups.js';
import { setClientApis } from '../../src/manage/client-apis.js';
import type { ApiRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { expectAnonymousSentToLogin, expectCsrfRefused, expectNonAdminRefused, expectStaleAdminAsked, expectStrictAdminPages, signedInNonAdmin, type AdminRoute } from './admin-access-checks.js';
import { appWithAdminPerTest, eventsSince, fieldError, inputTag, lastEventId, noticeOf, XSS, XSS_ESCAPED, asStaleAdmin as staleAdmin } from './admin-screen-helpers.js';

/** A valid "New API" form: two scopes in the first rows, the rest of the rows left blank as a browser sends them. */
function apiForm(fields: Record<string, string> = {}): Record<string, string> {
  return {
    name: 'Orders',
    identifier: 'https://api.example.com/orders',
    scope_name_0: 'orders:read',
    scope_description_0: 'Read your orders',
    scope_name_1: 'orders:write',
    scope_description_1: 'Place orders for you',
    scope_name_2: '',
    scope_description_2: '',
    token_lifetime: '',
    token_format: 'jwt',
    accepts: 'both',
    ...fields,
  };
}

/** The rows of the scopes table as the page shows them: [name, description] of each row's inputs. */
function scopeRows(page: Page): [string, string][] {
  const rows: [string, string][] = [];
  for (let i = 0; ; i++) {
    const name = /value="([^"]*)"/.exec(inputTag(page, `scope_name_${i}`))?.[1];
    const description = /value="([^"]*)"/.exec(inputTag(page, `scope_description_${i}`))?.[1];
    if (name === undefined || description === undefined) return rows;
    rows.push([name, description]);
  }
}

describe('admin: the APIs screens (issue 22)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let serial = 0;

  const ctx = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config });
  const unique = (prefix: string) => `${prefix}-${(serial += 1)}`;
  const api = (input: Partial<ApiInput> = {}): Promise<ApiRecord> => {
    const n = (serial += 1);
    return createApi(ctx(), { name: `API ${n}`, identifier: `https://api${n}.example.com/`, scopes: [{ name: 'read', description: 'Read things' }], ...input });
  };
  const asStaleAdmin = <T>(body: (stale: SignedInAdmin) => Promise<T>): Promise<T> => staleAdmin(app, clock, `${unique('stale')}@example.com`, body);

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  describe('who may use them', () => {
    let target: ApiRecord;
    let plain: Browser;

    const routes = (): AdminRoute[] => [
      { method: 'GET', path: '/admin/apis' },
      { method: 'GET', path: '/admin/apis/new' },
      { method: 'POST', path: '/admin/apis', form: apiForm({ name: 'Acl new', identifier: 'https://acl-new.example.com/' }) },
      { method: 'GET', path: `/admin/apis/${target.id}` },
      {
        method: 'POST',
        path: `/admin/apis/${target.id}`,
        form: apiForm({ name: 'Acl renamed', identifier: target.identifier, scope_name_0: 'read', scope_description_0: 'Read things', scope_name_1: '', scope_description_1: '' }),
      },
      { method: 'POST', path: `/admin/apis/${target.id}`, form: apiForm({ name: target.name, identifier: 'https://acl-moved.example.com/' }), sensitive: true },
      { method: 'GET', path: `/admin/apis/${target.id}/delete` },
      { method: 'POST', path: `/admin/apis/${target.id}/delete`, sensitive: true },
    ];

    beforeAll(async () => {
      target = await api({ name: 'Acl target', identifier: 'https://acl-target.example.com/' });
      plain = await signedInNonAdmin(app, 'apis-plain@example.com');
    });

    it('sends anonymous visitors to the login page, and changes nothing', async () => {
      await expectAnonymousSentToLogin(app, routes());
    });

    it('answers a signed-in person without the admin flag with a 403 page, and changes nothing', async () => {
      await expectNonAdminRefused(app, plain, routes(), 'acl-target.example.com');
      expect(await app.store.apis.findByIdentifier('https://acl-new.example.com/')).toBeNull();
      expect(await app.store.apis.findById(target.id)).toMatchObject({ name: 'Acl target', identifier: 'https://acl-target.example.com/' });
    });

    it('answers an administrator’s GET with 200, never cached, under the strict CSP, every POST form carrying the CSRF token', async () => {
      await expectStrictAdminPages(app, admin, routes());
    });

    it("refuses every POST without the CSRF token, or with another session's, with 403, and changes nothing", async () => {
      await expectCsrfRefused(app, admin, await signedInAdmin(app, 'apis-second-admin@example.com'), routes());
      expect(await app.store.apis.findByIdentifier('https://acl-new.example.com/')).toBeNull();
      expect(await app.store.apis.findById(target.id)).toMatchObject({ name: 'Acl target', identifier: 'https://acl-target.example.com/' });
    });

    it('asks an administrator signed in more than 15 minutes ago for the password before each sensitive change, and changes nothing', async () => {
      await expectStaleAdminAsked(app, routes(), asStaleAdmin);
      expect(await app.store.apis.findById(target.id)).toMatchObject({ identifier: 'https://acl-target.example.com/' });
    });

    it('lets a stale administrator create an API and rename one without a password', async () => {
      await asStaleAdmin(async (stale) => {
        const created = await stale.post('/admin/apis', apiForm({ name: 'Stale created', identifier: 'https://stale-created.example.com/' }));
        expect(created.status, created.body).toBe(303);
        const renamed = await stale.post(
          `/admin/apis/${target.id}`,
          apiForm({ name: 'Acl renamed', identifier: target.identifier, scope_name_0: 'read', scope_description_0: 'Read things', scope_name_1: '', scope_description_1: '' }),
        );
        expect(renamed.status, renamed.body).toBe(303);
      });
      expect((await app.store.apis.findById(target.id))?.name).toBe('Acl renamed');
      expect(await app.store.apis.findByIdentifier('https://stale-created.example.com/')).not.toBeNull();
    });
  });

  describe('the list', () => {
    it('is in the navigation, and shows each API with its identifier, scopes, format, audience and clients; names are text', async () => {
      const listed = await api({
        name: `Billing ${XSS}`,
        identifier: 'https://billing.example.com/v1',
        scopes: [
          { name: 'invoices:read', description: 'x' },
          { name: 'invoices:write', description: 'y' },
          { name: 'payments', description: 'z' },
        ],
        tokenFormat: 'opaque',
        accepts: 'machines',
      });
      const one = await addClient(app, { name: 'Billing job' });
      const two = await addClient(app, { name: 'Billing reader' });
      await setClientApis(ctx(), one.clientId, { request: [], introspect: [listed.id] });
      await setClientApis(ctx(), two.clientId, { request: [], introspect: [listed.id] });
      const home = await admin.page('/admin');
      expect(home.body).toContain('<a href="/admin/apis">APIs</a>');
      expect(home.body).toContain(`<a href="/admin/apis"><span class="stat-value">${await app.store.apis.count()}</span> <span class="stat-label">APIs</span></a>`);
      const page = await admin.page('/admin/apis');
      expect(page.body).toContain('<a href="/admin/apis" aria-current="page">APIs</a>');
      expect(page.body).toContain('<a class="button" href="/admin/apis/new">New API</a>');
      const start = page.body.indexOf(`<td><a href="/admin/apis/${listed.id}">Billing ${XSS_ESCAPED}</a></td>`);
      expect(start).toBeGreaterThan(0);
      const row = page.body.slice(start, page.body.indexOf('</tr>', start));
      expect(row).toContain('<td><code>https://billing.example.com/v1</code></td>');
      expect(row).toMatch(/<td>3<\/td>\s*<td>opaque<\/td>\s*<td>machines<\/td>\s*<td>2<\/td>/);
      expect(page.body).not.toContain(XSS);
    });

    it('refuses a page cursor that is not one of its own with a 400 page', async () => {
      expect((await admin.browser.get(`${app.url}/admin/apis?after=not-a-cursor`)).status).toBe(400);
    });
  });

  describe('creating an API', () => {
    it('offers labelled fields, the scopes as rows with room for more, and the choices as fieldsets', async () => {
      const page = await admin.page('/admin/apis/new');
      expect(page.body).toMatch(/<form method="post" action="\/admin\/apis" class="form">\s*<input type="hidden" name="csrf" value="[^"]+">/);
      for (const id of ['name', 'identifier', 'token_lifetime', 'scope_name_0', 'scope_description_0']) {
        expect(page.body, id).toMatch(new RegExp(`<label[^>]* for="${id}"`));
        expect(inputTag(page, id), id).not.toBe('');
      }
      expect(scopeRows(page)).toEqual([
        ['', ''],
        ['', ''],
        ['', ''],
      ]);
      expect(page.body).toContain('<legend>Scopes</legend>');
      expect(page.body).toContain('<legend>Token format</legend>');
      expect(page.body).toContain('<legend>Accepts tokens for</legend>');
      expect(inputTag(page, 'token_format-jwt')).toContain('checked');
      expect(inputTag(page, 'accepts-both')).toContain('checked');
    });

    it('creates it, audits api.created as the administrator from their address, and shows its page', async () => {
      const before = await lastEventId(app);
      const answer = await admin.post('/admin/apis', apiForm({ token_lifetime: '900', token_format: 'opaque', accepts: 'people' }));
      expect(answer.status, answer.body).toBe(303);
      const created = await app.store.apis.findByIdentifier('https://api.example.com/orders');
      expect(created).toMatchObject({
        name: 'Orders',
        scopes: [
          { name: 'orders:read', description: 'Read your orders' },
          { name: 'orders:write', description: 'Place orders for you' },
        ],
        tokenLifetime: 900,
        tokenFormat: 'opaque',
        accepts: 'people',
      });
      expect(answer.location).toBe(`${app.url}/admin/apis/${created?.id}?done=created`);
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'api.created', actor: admin.user.id, subject: created?.id, ip: '127.0.0.1', outcome: 'success' }]);
      const page = await admin.page(`/admin/apis/${created?.id}?done=created`);
      expect(noticeOf(page)).toBe('The API was created. Grant it to clients on their pages.');
      expect(page.body).toContain('<h1>Orders</h1>');
      expect(page.body).toContain('<dd><code>https://api.example.com/orders</code></dd>');
      expect(page.body).toContain('<tr><td><code>orders:write</code></td><td>Place orders for you</td></tr>');
      expect(page.body).toContain('No client is granted this API yet.');
    });

    it('takes the server’s token lifetime when the field is empty, and shows it', async () => {
      const answer = await admin.post('/admin/apis', apiForm({ name: 'Default lifetime', identifier: 'http://127.0.0.1:9000/api' }));
      expect(answer.status, answer.body).toBe(303);
      const created = await app.store.apis.findByIdentifier('http://127.0.0.1:9000/api');
      expect(created).toMatchObject({ tokenLifetime: null, tokenFormat: 'jwt', accepts: 'both' });
      const page = await admin.page(`/admin/apis/${created?.id}`);
      expect(page.body).toContain(`server setting (${app.config.lifetimes.accessToken} s)`);
    });

    /** Posts a refused form: the status, and that nothing was written. */
    async function refused(fields: Record<string, string>, status = 400): Promise<Page> {
      const before = await lastEventId(app);
      const count = await app.store.apis.count();
      const answer = await admin.post('/admin/apis', fields);
      expect(answer.status, answer.body).toBe(status);
      expect(answer.body).toContain('Nothing was saved.');
      expect(await app.store.apis.count()).toBe(count);
      expect(await lastEventId(app)).toBe(before);
      return answer;
    }

    it('refuses a bad identifier next to the field, with the form kept, and writes nothing', async () => {
      for (const identifier of ['orders', 'http://api.example.com/orders', 'https://api.example.com/#orders', '/relative', '', `https://example.com/${'x'.repeat(520)}`]) {
        const answer = await refused(apiForm({ name: 'Bad id', identifier }));
        expect(fieldError(answer, 'identifier'), identifier).toBeTruthy();
        expect(inputTag(answer, 'identifier')).toContain('aria-invalid="true"');
        expect(inputTag(answer, 'name')).toContain('value="Bad id"');
        expect(scopeRows(answer).slice(0, 2)).toEqual([
          ['orders:read', 'Read your orders'],
          ['orders:write', 'Place orders for you'],
        ]);
      }
    });

    it('refuses an identifier another API has (409) next to the field, and writes nothing', async () => {
      const taken = await api({ identifier: 'https://taken.example.com/api' });
      const answer = await refused(apiForm({ name: 'Second', identifier: taken.identifier }), 409);
      expect(fieldError(answer, 'identifier')).toContain('already exists');
      expect(inputTag(answer, 'identifier')).toContain(`value="${taken.identifier}"`);
    });

    it('refuses a bad or reserved scope name at its row, and a name given twice at the second, with every row kept', async () => {
      const bad = await refused(apiForm({ identifier: 'https://scopes.example.com/', scope_name_1: 'orders write' }));
      expect(fieldError(bad, 'scope_name_0')).toBeNull();
      expect(fieldError(bad, 'scope_name_1')).toContain('not a valid scope name');
      expect(inputTag(bad, 'scope_name_1')).toContain('aria-invalid="true"');
      expect(scopeRows(bad).slice(0, 2)).toEqual([
        ['orders:read', 'Read your orders'],
        ['orders write', 'Place orders for you'],
      ]);
      const reserved = await refused(apiForm({ identifier: 'https://scopes.example.com/', scope_name_0: 'openid' }));
      expect(fieldError(reserved, 'scope_name_0')).toContain('OpenID Connect');
      const twice = await refused(apiForm({ identifier: 'https://scopes.example.com/', scope_name_1: 'orders:read' }));
      expect(fieldError(twice, 'scope_name_0')).toBeNull();
      expect(fieldError(twice, 'scope_name_1')).toContain('already listed');
      const nameless = await refused(apiForm({ identifier: 'https://scopes.example.com/', scope_name_1: '' }));
      expect(fieldError(nameless, 'scope_name_1')).toBe('Give this scope a name, or clear its description.');
      const long = await refused(apiForm({ identifier: 'https://scopes.example.com/', scope_description_0: 'x'.repeat(301) }));
      expect(fieldError(long, 'scope_description_0')).toContain('300');
    });

    it('refuses an API without a scope above the rows, and shows every other mistake at once', async () => {
      const answer = await refused(apiForm({ name: '', identifier: 'nope', scope_name_0: '', scope_description_0: '', scope_name_1: '', scope_description_1: '', token_lifetime: '5' }));
      expect(fieldError(answer, 'scopes')).toBe('An API needs at least one scope: give it a name below.');
      expect(answer.body).toMatch(/<fieldset aria-describedby="scopes-help scopes-error">/);
      expect(fieldError(answer, 'name')).toBeTruthy();
      expect(fieldError(answer, 'identifier')).toBeTruthy();
      expect(fieldError(answer, 'token_lifetime')).toContain('60');
      // The summary at the top links each message to its field.
      expect(answer.body).toMatch(/<div class="alert" role="alert" id="error-summary">[\s\S]*<a href="#identifier">/);
      expect(answer.body).toContain('<a href="#scope_name_0">');
    });

    it('refuses a choice no button sends and a field sent twice, writing nothing', async () => {
      const format = await refused(apiForm({ identifier: 'https://choice.example.com/', token_format: 'paseto' }));
      expect(fieldError(format, 'token_format')).toBeTruthy();
      const accepts = await refused(apiForm({ identifier: 'https://choice.example.com/', accepts: 'robots' }));
      expect(fieldError(accepts, 'accepts')).toBeTruthy();
      const count = await app.store.apis.count();
      const twice = await admin.browser.request(`${app.url}/admin/apis`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `${new URLSearchParams({ csrf: await admin.csrf(), ...apiForm({ identifier: 'https://twice.example.com/' }) }).toString()}&name=Again`,
      });
      expect(twice.status).toBe(400);
      expect(await app.store.apis.count()).toBe(count);
    });

    it('shows markup typed into the form as text when it comes back refused', async () => {
      const answer = await refused(apiForm({ name: XSS, identifier: XSS, scope_description_0: XSS, token_lifetime: XSS }));
      expect(answer.body).not.toContain(XSS);
      expect(inputTag(answer, 'name')).toContain(`value="${XSS_ESCAPED}"`);
    });
  });

  describe("an API's page and its edit form", () => {
    it('shows the API in its fields with three blank rows for new scopes, and the clients that use it, linked', async () => {
      const shown = await api({ name: 'Shown', scopes: [{ name: 'a', description: `Alpha ${XSS}` }] });
      const user = await addClient(app, { name: `Reader ${XSS}` });
      await setClientApis(ctx(), user.clientId, { request: [{ api: shown.identifier, scopes: null }], introspect: [shown.identifier] });
      const page = await admin.page(`/admin/apis/${shown.id}`);
      expect(scopeRows(page)).toEqual([
        ['a', `Alpha ${XSS_ESCAPED}`],
        ['', ''],
        ['', ''],
        ['', ''],
      ]);
      expect(inputTag(page, 'name')).toContain('value="Shown"');
      expect(page.body).toContain(`<td><a href="/admin/clients/${user.clientId}">Reader ${XSS_ESCAPED}</a></td>`);
      expect(page.body).toContain('<td>requests tokens, introspects tokens</td>');
      expect(page.body).toContain(`<a class="button danger" href="/admin/apis/${shown.id}/delete">`);
      expect(page.body).not.toContain(XSS);
    });

    it('answers an unknown API id with a 404 page, and writes nothing', async () => {
      expect((await admin.browser.get(`${app.url}/admin/apis/no-such-api`)).status).toBe(404);
      const before = await lastEventId(app);
      expect((await admin.post('/admin/apis/no-such-api', apiForm())).status).toBe(404);
      expect((await admin.post('/admin/apis/no-such-api/delete', {})).status).toBe(404);
      expect(await lastEventId(app)).toBe(before);
    });

    it('saves a new scope typed in a blank row, a changed description, lifetime and audience; audited as api.updated', async () => {
      const edited = await api({ name: 'Edited', identifier: 'https://edited.example.com/', scopes: [{ name: 'read', description: 'Read' }] });
      const page = await admin.page(`/admin/apis/${edited.id}`);
      expect(page.body).toContain(`<form method="post" action="/admin/apis/${edited.id}" class="form">`);
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/apis/${edited.id}`, {
        name: 'Edited',
        identifier: 'https://edited.example.com/',
        scope_name_0: 'read',
        scope_description_0: 'Read everything',
        scope_name_1: '',
        scope_description_1: '',
        scope_name_2: 'write',
        scope_description_2: 'Write things',
        scope_name_3: '',
        scope_description_3: '',
        token_lifetime: '120',
        token_format: 'jwt',
        accepts: 'machines',
      });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/apis/${edited.id}?done=saved`);
      expect(await app.store.apis.findById(edited.id)).toMatchObject({
        scopes: [
          { name: 'read', description: 'Read everything' },
          { name: 'write', description: 'Write things' },
        ],
        tokenLifetime: 120,
        accepts: 'machines',
      });
      const events = await eventsSince(app, before);
      expect(events).toMatchObject([{ type: 'api.updated', actor: admin.user.id, subject: edited.id, ip: '127.0.0.1' }]);
      expect((events[0]?.details as { changed: string[] }).changed.sort()).toEqual(['accepts', 'scopes', 'token_lifetime']);
      const saved = await admin.page(`/admin/apis/${edited.id}?done=saved`);
      expect(noticeOf(saved)).toBe('The changes were saved.');
      // The same form again changes nothing and writes nothing.
      const middle = await lastEventId(app);
      const again = await admin.post(
        `/admin/apis/${edited.id}`,
        apiForm({
          name: 'Edited',
          identifier: 'https://edited.example.com/',
          scope_description_0: 'Read everything',
          scope_name_0: 'read',
          scope_name_1: 'write',
          scope_description_1: 'Write things',
          token_lifetime: '120',
          accepts: 'machines',
        }),
      );
      expect(again.location).toBe(`${app.url}/admin/apis/${edited.id}?done=unchanged`);
      expect(await lastEventId(app)).toBe(middle);
    });

    it('removes a scope whose row is cleared, and returns to the server’s lifetime when the field is emptied', async () => {
      const trimmed = await api({
        scopes: [
          { name: 'one', description: '' },
          { name: 'two', description: '' },
        ],
        tokenLifetime: 300,
      });
      const answer = await admin.post(
        `/admin/apis/${trimmed.id}`,
        apiForm({ name: trimmed.name, identifier: trimmed.identifier, scope_name_0: '', scope_description_0: '', scope_name_1: 'two', scope_description_1: '' }),
      );
      expect(answer.status, answer.body).toBe(303);
      expect(await app.store.apis.findById(trimmed.id)).toMatchObject({ scopes: [{ name: 'two', description: '' }], tokenLifetime: null });
    });

    it('refuses an identifier another API has, or a bad scope, next to the field on the API page, and writes nothing', async () => {
      const mine = await api({ name: 'Mine' });
      const other = await api({ name: 'Other' });
      const before = await lastEventId(app);
      const taken = await admin.post(`/admin/apis/${mine.id}`, apiForm({ name: 'Mine renamed', identifier: other.identifier }));
      expect(taken.status).toBe(409);
      expect(fieldError(taken, 'identifier')).toContain('already exists');
      expect(inputTag(taken, 'name')).toContain('value="Mine renamed"');
      expect(taken.body).toContain('<h1>Mine</h1>');
      const bad = await admin.post(`/admin/apis/${mine.id}`, apiForm({ name: 'Mine', identifier: mine.identifier, scope_name_0: 'profile' }));
      expect(bad.status).toBe(400);
      expect(fieldError(bad, 'scope_name_0')).toContain('OpenID Connect');
      const none = await admin.post(
        `/admin/apis/${mine.id}`,
        apiForm({ name: 'Mine', identifier: mine.identifier, scope_name_0: '', scope_description_0: '', scope_name_1: '', scope_description_1: '' }),
      );
      expect(none.status).toBe(400);
      expect(fieldError(none, 'scopes')).toBeTruthy();
      expect(await app.store.apis.findById(mine.id)).toEqual(mine);
      expect(await lastEventId(app)).toBe(before);
    });
  });

  describe('deleting an API', () => {
    it('asks first, naming every client that uses it and how; then deletes it with their grants, audited as api.deleted', async () => {
      const doomed = await api({ name: `Doomed ${XSS}` });
      const keeper = await api({ name: 'Keeper' });
      const requester = await addClient(app, { name: `Requester ${XSS}` });
      const introspector = await addClient(app, { name: 'Introspector' });
      await setClientApis(ctx(), requester.clientId, {
        request: [
          { api: doomed.id, scopes: null },
          { api: keeper.id, scopes: null },
        ],
        introspect: [],
      });
      await setClientApis(ctx(), introspector.clientId, { request: [], introspect: [doomed.id] });
      const page = await admin.page(`/admin/apis/${doomed.id}`);
      expect(page.body).toContain(`<a class="button danger" href="/admin/apis/${doomed.id}/delete">Delete this API…</a>`);
      const confirm = await admin.page(`/admin/apis/${doomed.id}/delete`);
      expect(confirm.body).toContain(`<h1>Delete the API Doomed ${XSS_ESCAPED}?</h1>`);
      expect(confirm.body).toContain(`<li><a href="/admin/clients/${requester.clientId}">Requester ${XSS_ESCAPED}</a> (<code>${requester.clientId}</code>): requests tokens.</li>`);
      expect(confirm.body).toContain(`<li><a href="/admin/clients/${introspector.clientId}">Introspector</a> (<code>${introspector.clientId}</code>): introspects tokens.</li>`);
      expect(confirm.body).toContain(`<form method="post" action="/admin/apis/${doomed.id}/delete" class="form">`);
      expect(confirm.body).not.toContain(XSS);

      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/apis/${doomed.id}/delete`, {});
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/apis?done=deleted`);
      expect(await app.store.apis.findById(doomed.id)).toBeNull();
      expect((await app.store.apis.accessOf(requester.clientId)).map((grant) => grant.apiId)).toEqual([keeper.id]);
      expect(await app.store.apis.accessOf(introspector.clientId)).toEqual([]);
      const events = await eventsSince(app, before);
      expect(events).toMatchObject([{ type: 'api.deleted', actor: admin.user.id, subject: doomed.id, ip: '127.0.0.1' }]);
      expect((events[0]?.details as { clients: string[] }).clients.sort()).toEqual([requester.clientId, introspector.clientId].sort());
      expect(noticeOf(await admin.page('/admin/apis?done=deleted'))).toBe('The API was deleted. The clients that named it can no longer request tokens for it.');
    });

    it('says so when no client uses it', async () => {
      const lonely = await api();
      expect((await admin.page(`/admin/apis/${lonely.id}/delete`)).body).toContain('<p>No client is granted this API.</p>');
    });

    it('never offers to delete the built-in management API (issue 26), and refuses it if asked', async () => {
      const builtIn = await app.store.apis.findByIdentifier(`${app.config.issuer}/api/v1`);
      const page = await admin.page(`/admin/apis/${builtIn?.id}`);
      expect(page.body).toContain('<h2>Built in</h2>');
      expect(page.body).not.toContain('Delete this API…');
      const before = await lastEventId(app);
      expect((await admin.post(`/admin/apis/${builtIn?.id}/delete`, {})).status).toBe(409);
      expect(await app.store.apis.findById(builtIn?.id ?? '')).toMatchObject({ builtIn: true });
      expect(await eventsSince(app, before)).toEqual([]);
    });
  });
});

describe("admin: an API named by Gatehouse's own address; APIs and groups named in the audit log", () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  const ctx = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config });

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  it('refuses an identifier under the issuer next to the field, with the form kept, and writes nothing', async () => {
    const own = `${app.config.issuer}/userinfo`;
    const count = await app.store.apis.count();
    const before = await lastEventId(app);
    const answer = await admin.post('/admin/apis', apiForm({ name: 'Mine', identifier: own }));
    expect(answer.status, answer.body).toBe(400);
    expect(fieldError(answer, 'identifier')).toMatch(/^The identifier is this server(&#39;|')s own address/);
    expect(inputTag(answer, 'identifier')).toContain(`value="${own}"`);
    expect(await app.store.apis.count()).toBe(count);
    expect(await lastEventId(app)).toBe(before);
  });

  it('shows the API of an api.* event and the group of a group.* event by name, linked to its page; by id once deleted', async () => {
    const orders = await createApi(ctx(), { name: `Orders ${XSS}`, identifier: 'https://audit-orders.example.com/', scopes: [{ name: 'read', description: '' }] });
    const team = await createGroup(ctx(), { name: 'auditors' });
    const page = await admin.page('/admin/audit');
    expect(page.body).toContain(`<a href="/admin/apis/${orders.id}" title="API ${orders.id}">Orders ${XSS_ESCAPED}</a>`);
    expect(page.body).toContain(`<a href="/admin/groups/${team.id}" title="group ${team.id}">auditors</a>`);
    expect(page.body).not.toContain(XSS);
    await deleteApi(ctx(), orders.id);
    const after = await admin.page(`/admin/audit?subject=${orders.id}`);
    expect(after.body).toContain(`<code>${orders.id}</code>`);
    expect(after.body).not.toContain(`href="/admin/apis/${orders.id}"`);
  });
});
