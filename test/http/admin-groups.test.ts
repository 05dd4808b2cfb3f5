// The Groups admin screens (issue 21) over HTTP, as an administrator's browser uses them: the list with member
// counts, search and paging; creating a group and the refusals (a name taken in another case, bad characters,
// no CSRF token, not an administrator: nothing written); a group's page with its settings, renaming, members
// (paged, searchable, added by email, removed) and the applications that use it; deleting it after a confirmation
// naming those applications. Every change is audited as the administrator from their address, through the same
// rules as `idp group` (src/manage/groups.ts). Who may reach each route is tested here too, as admin-access.test.ts
// does for the older screens.
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { randomId } from '../../src/auth/secrets.js';
import { createGroup } from '../../src/manage/groups.js';
import type { GroupRecord, UserRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, PASSWORD } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { expectAnonymousSentToLogin, expectCsrfRefused, expectNonAdminRefused, expectStaleAdminAsked, expectStrictAdminPages, signedInNonAdmin, type AdminRoute } from './admin-access-checks.js';
import { appWithAdminPerTest, eventsSince, fieldError, inputTag, isConfirmPage, lastEventId, link, noticeOf, XSS, XSS_ESCAPED, asStaleAdmin as staleAdmin } from './admin-screen-helpers.js';

describe('admin: the Groups screens (issue 21)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let serial = 0;

  const ctx = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test' });
  const unique = (prefix: string) => `${prefix}-${(serial += 1)}`;
  const group = (name = unique('team'), extra: { description?: string; requireMfa?: boolean } = {}) => createGroup(ctx(), { name, ...extra });
  const person = (name?: string) => addUser(app, `${unique('person')}@example.com`, { name: name ?? `Person ${serial}` });

  const asStaleAdmin = <T>(body: (stale: SignedInAdmin) => Promise<T>): Promise<T> => staleAdmin(app, clock, `${unique('stale')}@example.com`, body);

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  describe('who may use them', () => {
    let target: GroupRecord;
    let mfaTarget: GroupRecord;
    let member: UserRecord;
    let plain: Browser;

    const routes = (): AdminRoute[] => [
      { method: 'GET', path: '/admin/groups' },
      { method: 'GET', path: '/admin/groups?q=acl' },
      { method: 'POST', path: '/admin/groups', form: { name: 'acl-new', description: '' } },
      { method: 'GET', path: '/admin/groups/suggest?q=acl' },
      { method: 'GET', path: `/admin/groups/${target.id}` },
      { method: 'POST', path: `/admin/groups/${target.id}`, form: { description: 'Changed' } },
      { method: 'POST', path: `/admin/groups/${target.id}`, form: { description: '', require_mfa: 'on' }, sensitive: true },
      { method: 'POST', path: `/admin/groups/${target.id}/rename`, form: { name: 'acl-renamed' }, sensitive: true },
      { method: 'POST', path: `/admin/groups/${target.id}/members`, form: { email: 'acl-outsider@example.com' }, sensitive: true },
      { method: 'POST', path: `/admin/groups/${target.id}/members/${member.id}/remove` },
      { method: 'POST', path: `/admin/groups/${mfaTarget.id}/members/${member.id}/remove`, sensitive: true },
      { method: 'GET', path: `/admin/groups/${target.id}/delete` },
      { method: 'POST', path: `/admin/groups/${target.id}/delete`, sensitive: true },
      { method: 'GET', path: '/admin/users/suggest?q=acl' },
      { method: 'POST', path: `/admin/users/${member.id}/groups`, form: { group: 'acl-other' }, sensitive: true },
      { method: 'POST', path: `/admin/users/${member.id}/groups/${target.id}/remove` },
      { method: 'POST', path: `/admin/users/${member.id}/groups/${mfaTarget.id}/remove`, sensitive: true },
    ];

    beforeAll(async () => {
      target = await group('acl-target');
      mfaTarget = await group('acl-mfa', { requireMfa: true });
      await group('acl-other');
      member = await addUser(app, 'acl-member@example.com', { name: 'Acl Member' });
      await addUser(app, 'acl-outsider@example.com', { name: 'Acl Outsider' });
      await app.store.groups.addMember(target.id, member.id, clock.now());
      await app.store.groups.addMember(mfaTarget.id, member.id, clock.now());
      plain = await signedInNonAdmin(app, 'acl-plain@example.com');
    });

    it('sends anonymous visitors to the login page, and changes nothing', async () => {
      await expectAnonymousSentToLogin(app, routes());
    });

    it('answers a signed-in person without the admin flag with a 403 page, and changes nothing', async () => {
      await expectNonAdminRefused(app, plain, routes(), 'acl-member@example.com');
      expect(await app.store.groups.findByName('acl-new')).toBeNull();
      expect(await app.store.groups.countMembers(target.id)).toBe(1);
    });

    it('answers an administrator’s GET with 200, never cached, under the strict CSP, every POST form carrying the CSRF token', async () => {
      await expectStrictAdminPages(
        app,
        admin,
        routes().filter((r) => !r.path.includes('/suggest')),
      );
    });

    it("refuses every POST without the CSRF token, or with another session's, with 403, and changes nothing", async () => {
      await expectCsrfRefused(app, admin, await signedInAdmin(app, 'acl-second-admin@example.com'), routes());
      expect(await app.store.groups.findByName('acl-new')).toBeNull();
      expect((await app.store.groups.findById(target.id))?.name).toBe('acl-target');
    });

    it('asks an administrator signed in more than 15 minutes ago for the password before each sensitive change, and changes nothing', async () => {
      await expectStaleAdminAsked(app, routes(), asStaleAdmin);
      expect(await app.store.groups.findById(target.id)).toMatchObject({ name: 'acl-target', requireMfa: false });
      expect((await app.store.groups.groupsOf(member.id)).map((g) => g.name).sort()).toEqual(['acl-mfa', 'acl-target']);
    });

    it('lets a stale administrator make the changes that take nothing away from the rules without a password', async () => {
      await asStaleAdmin(async (stale) => {
        const answer = await stale.post(`/admin/groups/${target.id}`, { description: 'Only the description' });
        expect(answer.status).toBe(303);
        expect((await app.store.groups.findById(target.id))?.description).toBe('Only the description');
        const created = await stale.post('/admin/groups', { name: 'acl-created-stale', description: '' });
        expect(created.status).toBe(303);
      });
    });
  });

  describe('the list', () => {
    it('shows each group with its description, member count and second-factor rule, linking to its page; names are text', async () => {
      const staff = await group('List-Staff', { description: `Everyone ${XSS}`, requireMfa: true });
      for (let i = 0; i < 3; i++) await app.store.groups.addMember(staff.id, (await person()).id, clock.now());
      const page = await admin.page('/admin/groups?q=list-staff');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.body).toContain('<a href="/admin/groups" aria-current="page">Groups</a>');
      const row = new RegExp(`<tr>\\s*<td><a href="/admin/groups/${staff.id}">List-Staff</a></td>[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? '';
      expect(row).toContain(`<td>Everyone ${XSS_ESCAPED}</td>`);
      expect(row).toContain('<td>3</td>');
      expect(row).toContain('<span class="badge badge-info">required</span>');
      expect(page.body).not.toContain(XSS);
    });

    it('finds groups by a case-insensitive part of the name, and keeps the search in the box', async () => {
      await group('Search-Alpha');
      await group('search-beta');
      const page = await admin.page('/admin/groups?q=SEARCH-a');
      expect(page.body).toContain('>Search-Alpha</a>');
      expect(page.body).not.toContain('>search-beta</a>');
      expect(inputTag(page, 'q')).toContain('value="SEARCH-a"');
      expect((await admin.page('/admin/groups?q=no-such-group-at-all')).body).toContain('No group matches this search.');
    });

    it('pages 50 groups at a time in name order, with Next page and First page links that keep the search', async () => {
      const names = Array.from({ length: 60 }, (_, i) => `paged-${String(i).padStart(2, '0')}`);
      for (const name of [...names].reverse()) await group(name);
      const shown = (page: Page) => [...page.body.matchAll(/>(paged-\d\d)<\/a>/g)].map((match) => match[1]);
      const first = await admin.page('/admin/groups?q=paged-');
      expect(shown(first)).toEqual(names.slice(0, 50));
      expect(link(first, 'First page')).toBeNull();
      const second = await admin.page(link(first, 'Next page') ?? '');
      expect(new URL(second.url).searchParams.get('q')).toBe('paged-');
      expect(shown(second)).toEqual(names.slice(50));
      expect(link(second, 'Next page')).toBeNull();
      expect(link(second, 'First page')).toBe('/admin/groups?q=paged-');
    });

    it('refuses a page cursor that is not one of its own with a 400 page', async () => {
      expect((await admin.browser.get(`${app.url}/admin/groups?after=not-a-cursor`)).status).toBe(400);
    });
  });

  describe('creating a group', () => {
    it('creates it, audits group.created as the administrator from their address, and shows its page', async () => {
      const form = await admin.page('/admin/groups');
      expect(form.body).toMatch(/<form method="post" action="\/admin\/groups" class="form">\s*<input type="hidden" name="csrf" value="[^"]+">/);
      expect(form.body).toContain('<label for="name">Name</label>');
      const before = await lastEventId(app);
      const answer = await admin.post('/admin/groups', { name: 'Wiki-Editors', description: 'People who edit the wiki', require_mfa: 'on' });
      expect(answer.status, answer.body).toBe(303);
      const created = await app.store.groups.findByName('wiki-editors');
      expect(created).toMatchObject({ name: 'Wiki-Editors', description: 'People who edit the wiki', requireMfa: true });
      expect(answer.location).toBe(`${app.url}/admin/groups/${created?.id}?done=created`);
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'group.created', actor: admin.user.id, subject: created?.id, ip: '127.0.0.1', outcome: 'success' }]);
      const page = await admin.page(`/admin/groups/${created?.id}?done=created`);
      expect(noticeOf(page)).toBe('The group was created. Add its members below.');
      expect(page.body).toContain('<h1>Wiki-Editors <span class="badge badge-info">second factor required</span></h1>');
    });

    it('refuses a name another group has in another case (409), next to the field with the form kept, and writes nothing', async () => {
      await group('Finance');
      const before = await lastEventId(app);
      const count = await app.store.groups.count();
      const answer = await admin.post('/admin/groups', { name: 'FINANCE', description: 'A second one' });
      expect(answer.status).toBe(409);
      expect(fieldError(answer, 'name')).toContain('already exists');
      expect(inputTag(answer, 'name')).toContain('value="FINANCE"');
      expect(inputTag(answer, 'name')).toContain('aria-invalid="true"');
      expect(inputTag(answer, 'description')).toContain('value="A second one"');
      expect(await app.store.groups.count()).toBe(count);
      expect(await lastEventId(app)).toBe(before);
    });

    it('refuses bad characters, an empty name and a description with control characters (400), showing every mistake, and writes nothing', async () => {
      const before = await lastEventId(app);
      const count = await app.store.groups.count();
      for (const name of ['wiki editors', 'wiki/editors', 'é-team', XSS, '', 'x'.repeat(65)]) {
        const answer = await admin.post('/admin/groups', { name, description: 'ok' });
        expect(answer.status, name).toBe(400);
        expect(fieldError(answer, 'name'), name).toBeTruthy();
        expect(answer.body).not.toContain(XSS);
      }
      const both = await admin.post('/admin/groups', { name: 'bad name', description: 'line\u0001break' });
      expect(both.status).toBe(400);
      expect(fieldError(both, 'name')).toBeTruthy();
      expect(fieldError(both, 'description')).toContain('control characters');
      expect(await app.store.groups.count()).toBe(count);
      expect(await lastEventId(app)).toBe(before);
    });

    it('refuses a form field sent twice with a 400 page, and writes nothing', async () => {
      const count = await app.store.groups.count();
      const answer = await admin.browser.request(`${app.url}/admin/groups`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `csrf=${await admin.csrf()}&name=one&name=two`,
      });
      expect(answer.status).toBe(400);
      expect(await app.store.groups.count()).toBe(count);
    });
  });

  describe("a group's page", () => {
    it('shows its details, settings, rename and member forms with labels, and the applications that use it, linked', async () => {
      const staff = await group('page-staff', { description: 'The staff' });
      const other = await group('page-other');
      const wiki = await addClient(app, { name: `Wiki ${XSS}`, accessGroups: ['page-staff'] });
      const chat = await addClient(app, { name: 'Chat', groupsClaim: 'listed', claimGroups: ['page-staff', 'page-other'] });
      const page = await admin.page(`/admin/groups/${staff.id}`);
      expect(page.body).toContain('<h1>page-staff</h1>');
      expect(page.body).toContain('<dt>Description</dt><dd>The staff</dd>');
      expect(page.body).toContain('<label for="description">Description</label>');
      expect(page.body).toContain('<label for="rename">New name</label>');
      expect(page.body).toContain('<label for="member">Their email</label>');
      expect(inputTag(page, 'member')).toContain('list="member-suggestions"');
      expect(inputTag(page, 'member')).toContain('data-suggest-url="/admin/users/suggest"');
      expect(page.body).toContain('<datalist id="member-suggestions"></datalist>');
      expect(page.body).toContain('<script src="/static/admin-suggest.js" defer></script>');
      expect(page.body).toContain(`<a href="/admin/clients/${wiki.clientId}">Wiki ${XSS_ESCAPED}</a>`);
      expect(page.body).toContain(`<a href="/admin/clients/${chat.clientId}">Chat</a>`);
      expect(page.body).toMatch(/Wiki &lt;script[\s\S]*?<td>who may sign in<\/td>/);
      expect(page.body).toMatch(/>Chat<\/a>[\s\S]*?<td>the groups claim<\/td>/);
      expect(page.body).not.toContain(XSS);
      expect((await admin.page(`/admin/groups/${other.id}`)).body).toContain(`<a href="/admin/clients/${chat.clientId}">Chat</a>`);
    });

    it('answers an unknown group id with a 404 page', async () => {
      expect((await admin.browser.get(`${app.url}/admin/groups/no-such-group`)).status).toBe(404);
      const before = await lastEventId(app);
      expect((await admin.post('/admin/groups/no-such-group/rename', { name: 'x' })).status).toBe(404);
      expect(await lastEventId(app)).toBe(before);
    });

    it('saves the description and the second-factor rule, audited as group.updated', async () => {
      const team = await group('settings-team');
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/groups/${team.id}`, { description: 'Now described', require_mfa: 'on' });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/groups/${team.id}?done=saved`);
      expect(await app.store.groups.findById(team.id)).toMatchObject({ description: 'Now described', requireMfa: true });
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'group.updated', actor: admin.user.id, subject: team.id, details: { require_mfa: true } }]);
      const unchanged = await admin.post(`/admin/groups/${team.id}`, { description: 'Now described', require_mfa: 'on' });
      expect(unchanged.location).toBe(`${app.url}/admin/groups/${team.id}?done=unchanged`);
      const refused = await admin.post(`/admin/groups/${team.id}`, { description: 'x'.repeat(501), require_mfa: 'on' });
      expect(refused.status).toBe(400);
      expect(fieldError(refused, 'description')).toContain('500');
      expect((await app.store.groups.findById(team.id))?.description).toBe('Now described');
    });

    it('renames the group, audited as group.renamed with the old and new names; another case of its own name is a rename', async () => {
      const team = await group('rename-me');
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/groups/${team.id}/rename`, { name: 'renamed-team' });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/groups/${team.id}?done=renamed`);
      expect((await app.store.groups.findById(team.id))?.name).toBe('renamed-team');
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'group.renamed', actor: admin.user.id, subject: team.id, details: { from: 'rename-me', to: 'renamed-team' } }]);
      expect((await admin.post(`/admin/groups/${team.id}/rename`, { name: 'Renamed-Team' })).status).toBe(303);
      expect((await app.store.groups.findById(team.id))?.name).toBe('Renamed-Team');
    });

    it("refuses a rename to another group's name in any case, or with bad characters, under the rename field, writing nothing", async () => {
      const team = await group('rename-src');
      await group('rename-taken');
      const before = await lastEventId(app);
      const taken = await admin.post(`/admin/groups/${team.id}/rename`, { name: 'RENAME-TAKEN' });
      expect(taken.status).toBe(409);
      expect(fieldError(taken, 'rename')).toContain('already exists');
      expect(inputTag(taken, 'rename')).toContain('value="RENAME-TAKEN"');
      const bad = await admin.post(`/admin/groups/${team.id}/rename`, { name: 'has space' });
      expect(bad.status).toBe(400);
      expect(fieldError(bad, 'rename')).toContain('not a valid group name');
      expect((await app.store.groups.findById(team.id))?.name).toBe('rename-src');
      expect(await lastEventId(app)).toBe(before);
    });
  });

  describe('members', () => {
    it('adds a person by email, audited as group.member_added about them; adding them again writes nothing', async () => {
      const team = await group('add-team');
      const ada = await person('Ada Member');
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/groups/${team.id}/members`, { email: ada.email.toUpperCase() });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/groups/${team.id}?done=added`);
      expect((await app.store.groups.groupsOf(ada.id)).map((g) => g.id)).toEqual([team.id]);
      expect(await eventsSince(app, before)).toMatchObject([
        { type: 'group.member_added', actor: admin.user.id, subject: ada.id, ip: '127.0.0.1', details: { group_id: team.id, group: 'add-team' } },
      ]);
      const page = await admin.page(`/admin/groups/${team.id}?done=added`);
      expect(noticeOf(page)).toBe('The person was added to the group.');
      expect(page.body).toContain(`<a href="/admin/users/${ada.id}">${ada.email}</a>`);
      const middle = await lastEventId(app);
      const again = await admin.post(`/admin/groups/${team.id}/members`, { email: ada.email });
      expect(again.location).toBe(`${app.url}/admin/groups/${team.id}?done=already`);
      expect(await lastEventId(app)).toBe(middle);
    });

    it('refuses an email nobody has, or none, under the field with what was typed, and writes nothing', async () => {
      const team = await group('add-refused');
      const before = await lastEventId(app);
      const unknown = await admin.post(`/admin/groups/${team.id}/members`, { email: 'nobody@nowhere.example' });
      expect(unknown.status).toBe(404);
      expect(fieldError(unknown, 'member')).toContain('No user');
      expect(inputTag(unknown, 'member')).toContain('value="nobody@nowhere.example"');
      expect(inputTag(unknown, 'member')).toContain('aria-invalid="true"');
      const empty = await admin.post(`/admin/groups/${team.id}/members`, { email: '  ' });
      expect(empty.status).toBe(400);
      expect(fieldError(empty, 'member')).toBe('Enter the email address of the person to add.');
      expect(await app.store.groups.countMembers(team.id)).toBe(0);
      expect(await lastEventId(app)).toBe(before);
    });

    it('removes a member with the form of their row, audited as group.member_removed', async () => {
      const team = await group('remove-team');
      const ada = await person();
      await app.store.groups.addMember(team.id, ada.id, clock.now());
      const page = await admin.page(`/admin/groups/${team.id}`);
      const action = `/admin/groups/${team.id}/members/${ada.id}/remove`;
      expect(page.body).toContain(`<form method="post" action="${action}" class="inline">`);
      expect(page.body).toContain(`aria-label="Remove ${ada.email} from remove-team">Remove</button>`);
      const before = await lastEventId(app);
      const answer = await admin.post(action, {});
      expect(answer.location).toBe(`${app.url}/admin/groups/${team.id}?done=removed`);
      expect(await app.store.groups.groupsOf(ada.id)).toEqual([]);
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'group.member_removed', actor: admin.user.id, subject: ada.id, details: { group_id: team.id, group: 'remove-team' } }]);
    });

    it('pages the members 50 at a time in email order and searches among them only', async () => {
      const team = await group('paged-members');
      const passwordHash = await hashPassword(PASSWORD);
      const emails = Array.from({ length: 55 }, (_, i) => `m${String(i).padStart(2, '0')}@members.example`);
      for (const email of emails) {
        const user = await app.store.users.create(
          { id: randomId(), email, name: email.startsWith('m07') ? 'Seven Special' : null, passwordHash, isAdmin: false, disabled: false, emailVerified: false },
          clock.now(),
        );
        await app.store.groups.addMember(team.id, user.id, clock.now());
      }
      const outsider = await addUser(app, 'special-outsider@members.example', { name: 'Seven Special too' });
      const shown = (page: Page) => [...page.body.matchAll(/>(m\d\d@members\.example)<\/a>/g)].map((match) => match[1]);
      const first = await admin.page(`/admin/groups/${team.id}`);
      expect(shown(first)).toEqual(emails.slice(0, 50));
      const second = await admin.page(link(first, 'Next page') ?? '');
      expect(shown(second)).toEqual(emails.slice(50));
      expect(link(second, 'First page')).toBe(`/admin/groups/${team.id}`);
      const search = await admin.page(`/admin/groups/${team.id}?q=SEVEN`);
      expect(shown(search)).toEqual(['m07@members.example']);
      expect(search.body).not.toContain(outsider.email);
      const byEmail = await admin.page(`/admin/groups/${team.id}?q=m5`);
      expect(shown(byEmail)).toEqual(emails.slice(50));
      expect((await admin.page(`/admin/groups/${team.id}?q=nobody-here`)).body).toContain('No member matches this search.');
    });
  });

  describe('deleting a group', () => {
    it('asks first, naming the applications that depend on it and what they lose; then deletes it, audited as group.deleted', async () => {
      const team = await group('delete-team');
      const ada = await person();
      await app.store.groups.addMember(team.id, ada.id, clock.now());
      const wiki = await addClient(app, { name: 'Delete Wiki', accessGroups: ['delete-team'] });
      const page = await admin.page(`/admin/groups/${team.id}/delete`);
      expect(page.body).toContain('<h1>Delete the group delete-team?</h1>');
      expect(page.body).toContain(`<a href="/admin/clients/${wiki.clientId}">Delete Wiki</a>`);
      expect(page.body).toContain('only its members may sign in');
      expect(page.body).toContain('admits nobody once it is deleted');
      expect(page.body).toContain(`<form method="post" action="/admin/groups/${team.id}/delete" class="form">`);
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/groups/${team.id}/delete`, {});
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/groups?done=deleted`);
      expect(await app.store.groups.findById(team.id)).toBeNull();
      expect(await app.store.groups.groupsOf(ada.id)).toEqual([]);
      expect(await app.store.clients.findById(wiki.clientId)).toMatchObject({ accessPolicy: 'groups', accessGroups: [] });
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'group.deleted', actor: admin.user.id, subject: team.id, details: { name: 'delete-team', clients: [wiki.clientId] } }]);
      expect(noticeOf(await admin.page('/admin/groups?done=deleted'))).toContain('The group was deleted');
    });

    it('says so when no application names the group', async () => {
      const team = await group('delete-unused');
      expect((await admin.page(`/admin/groups/${team.id}/delete`)).body).toContain('No application names this group in its rules.');
    });
  });

  it('the form sent back after the "Confirm it’s you" page with the password goes through', async () => {
    const team = await group('confirm-team');
    const ada = await person();
    await asStaleAdmin(async (stale) => {
      const confirm = await stale.post(`/admin/groups/${team.id}/members`, { email: ada.email });
      expect(isConfirmPage(confirm)).toBe(true);
      const { csrf: _csrf, ...fields } = formFields(confirm.body);
      const answer = await stale.post(`/admin/groups/${team.id}/members`, { ...fields, confirm_password: PASSWORD });
      expect(answer.status).toBe(303);
      expect((await app.store.groups.groupsOf(ada.id)).map((g) => g.name)).toEqual(['confirm-team']);
    });
  });
});
