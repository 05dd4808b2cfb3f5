// Groups from the people's side of the admin screens (issue 21): the users list filtered by a group (`?group=` a
// name in any case or an id, shown and removable, kept across pages and searches); the autocomplete endpoints the
// membership forms use (administrators only, at most 10 matches, JSON, never cached, same origin); and the user
// page's groups: listed with links, a person added to a group by name and removed, each change audited.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup } from '../../src/manage/groups.js';
import type { GroupRecord, UserRecord } from '../../src/store/records.js';
import type { SignedInAdmin } from '../helpers/admin.js';
import { Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { signedInNonAdmin } from './admin-access-checks.js';
import { appWithAdminPerTest, eventsSince, fieldError, inputTag, lastEventId, link, noticeOf, XSS, XSS_ESCAPED } from './admin-screen-helpers.js';

describe('admin: groups on the users screens, and the suggestions (issue 21)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let serial = 0;

  const ctx = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test' });
  const group = (name: string, extra: { description?: string; requireMfa?: boolean } = {}) => createGroup(ctx(), { name, ...extra });
  const person = (prefix = 'person', name?: string) => {
    serial += 1;
    return addUser(app, `${prefix}${String(serial).padStart(3, '0')}@example.com`, { name: name ?? `Person ${serial}` });
  };

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  describe('the users list filtered by a group', () => {
    let readers: GroupRecord;
    let members: UserRecord[];
    let outsider: UserRecord;

    beforeAll(async () => {
      readers = await group('Readers');
      members = [];
      for (let i = 0; i < 55; i++) {
        const member = await person('reader', i === 3 ? 'Special Reader' : undefined);
        await app.store.groups.addMember(readers.id, member.id, clock.now());
        members.push(member);
      }
      outsider = await person('reader', 'Special Outsider');
    });

    const shown = (page: Page) => [...page.body.matchAll(/>(reader\d{3}@example\.com)<\/a>/g)].map((match) => match[1]);

    it('lists only the members, named by the group in any case or by its id, says so, and links to the group', async () => {
      for (const given of ['Readers', 'rEaDeRs', readers.id]) {
        const page = await admin.page(`/admin/users?group=${encodeURIComponent(given)}`);
        expect(shown(page)).toEqual(members.slice(0, 50).map((m) => m.email));
        expect(page.body).not.toContain(outsider.email);
        expect(page.body).toContain('<h1>Users in Readers</h1>');
        expect(page.body).toMatch(new RegExp(`Only the members of the group <a href="/admin/groups/${readers.id}">Readers</a>`));
      }
    });

    it('keeps the group on the next page, and the search within it; the filter is removable, keeping the search', async () => {
      const first = await admin.page('/admin/users?group=readers');
      const second = await admin.page(link(first, 'Next page') ?? '');
      expect(new URL(second.url).searchParams.get('group')).toBe('Readers');
      expect(shown(second)).toEqual(members.slice(50).map((m) => m.email));
      expect(link(second, 'First page')).toBe('/admin/users?group=Readers');
      const search = await admin.page('/admin/users?group=readers&q=special');
      expect(shown(search)).toEqual([members[3]?.email]);
      expect(search.body).not.toContain(outsider.email);
      // The search form keeps the group; "Show users in any group" keeps the search.
      expect(search.body).toContain('<input type="hidden" name="group" value="Readers">');
      expect(link(search, 'Show users in any group')).toBe('/admin/users?q=special');
      const unfiltered = await admin.page('/admin/users?q=special');
      expect(shown(unfiltered)).toContain(outsider.email);
      expect(unfiltered.body).not.toContain('Only the members of the group');
    });

    it('answers a group nobody has with a 404 page rather than an empty list', async () => {
      const page = await admin.browser.get(`${app.url}/admin/users?group=no-such-group`);
      expect(page.status).toBe(404);
      expect(page.body).toContain('no group');
    });
  });

  describe('the suggestions', () => {
    beforeAll(async () => {
      for (let i = 0; i < 15; i++) await addUser(app, `suggest${String(i).padStart(2, '0')}@example.com`, { name: `Suggested ${XSS}` });
      for (let i = 0; i < 12; i++) await group(`suggest-group-${String(i).padStart(2, '0')}`, { description: `Group ${i}` });
    });

    it('answers an administrator with at most 10 people by email or name, as JSON, never cached', async () => {
      const answer = await admin.browser.get(`${app.url}/admin/users/suggest?q=SUGGEST`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const body = JSON.parse(answer.body) as { users: { email: string; name: string | null }[] };
      expect(body.users).toHaveLength(10);
      expect(body.users[0]).toEqual({ email: 'suggest00@example.com', name: `Suggested ${XSS}` });
      expect(Object.keys(body.users[0] ?? {}).sort()).toEqual(['email', 'name']);
      const byName = JSON.parse((await admin.browser.get(`${app.url}/admin/users/suggest?q=suggested`)).body) as { users: unknown[] };
      expect(byName.users).toHaveLength(10);
      const one = JSON.parse((await admin.browser.get(`${app.url}/admin/users/suggest?q=suggest07`)).body) as { users: { email: string }[] };
      expect(one.users.map((u) => u.email)).toEqual(['suggest07@example.com']);
      expect(JSON.parse((await admin.browser.get(`${app.url}/admin/users/suggest?q=`)).body)).toEqual({ users: [] });
    });

    it('answers with at most 10 groups by name', async () => {
      const answer = await admin.browser.get(`${app.url}/admin/groups/suggest?q=Suggest-Group`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const body = JSON.parse(answer.body) as { groups: { name: string; description: string }[] };
      expect(body.groups).toHaveLength(10);
      expect(body.groups[0]).toEqual({ name: 'suggest-group-00', description: 'Group 0' });
    });

    it('gives nothing to anyone but an administrator of this site', async () => {
      const anonymous = await new Browser().get(`${app.url}/admin/users/suggest?q=suggest`);
      expect(anonymous.status).toBe(303);
      expect(anonymous.body).not.toContain('suggest00');
      const plain = await signedInNonAdmin(app, 'suggest-plain@example.org');
      for (const path of ['/admin/users/suggest?q=suggest', '/admin/groups/suggest?q=suggest']) {
        const refused = await plain.get(app.url + path);
        expect(refused.status).toBe(403);
        expect(refused.body).not.toContain('suggest00');
        expect(refused.body).not.toContain('suggest-group-00');
      }
      // A page of another site asking with the administrator's cookies (Fetch Metadata says so).
      for (const site of ['cross-site', 'same-site']) {
        const crossSite = await admin.browser.request(`${app.url}/admin/users/suggest?q=suggest`, { headers: { 'Sec-Fetch-Site': site } });
        expect(crossSite.status).toBe(403);
        expect(crossSite.body).not.toContain('suggest00');
      }
      const ours = await admin.browser.request(`${app.url}/admin/users/suggest?q=suggest`, { headers: { 'Sec-Fetch-Site': 'same-origin' } });
      expect(ours.status).toBe(200);
    });

    it('refuses an oversized text with a 400', async () => {
      expect((await admin.browser.get(`${app.url}/admin/users/suggest?q=${'a'.repeat(300)}`)).status).toBe(400);
    });

    it('is read by a static script served from this origin, which builds the options as text', async () => {
      const script = await admin.browser.get(`${app.url}/static/admin-suggest.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
      const source = readFileSync(new URL('../../public/admin-suggest.js', import.meta.url), 'utf8');
      expect(script.body).toBe(source);
      expect(source).not.toContain('innerHTML');
      expect(source).toContain("credentials: 'same-origin'");
    });
  });

  describe("the user page's groups", () => {
    it('lists the person’s groups with links and a remove form each, and the form to add them with suggestions', async () => {
      const ada = await person('ada');
      const alpha = await group('page-alpha', { requireMfa: true });
      const beta = await group('page-beta');
      await app.store.groups.addMember(beta.id, ada.id, clock.now());
      await app.store.groups.addMember(alpha.id, ada.id, clock.now());
      const page = await admin.page(`/admin/users/${ada.id}`);
      expect(page.body).toContain('<h2 id="groups-heading">Groups</h2>');
      const alphaLink = page.body.indexOf(`<a href="/admin/groups/${alpha.id}">page-alpha</a>`);
      const betaLink = page.body.indexOf(`<a href="/admin/groups/${beta.id}">page-beta</a>`);
      expect(alphaLink).toBeGreaterThan(0);
      expect(betaLink).toBeGreaterThan(alphaLink);
      expect(page.body).toContain(`<form method="post" action="/admin/users/${ada.id}/groups/${alpha.id}/remove" class="inline">`);
      expect(page.body).toContain('<label for="group">Group name</label>');
      expect(inputTag(page, 'group')).toContain('list="group-suggestions"');
      expect(inputTag(page, 'group')).toContain('data-suggest-url="/admin/groups/suggest"');
      expect(page.body).toContain('<script src="/static/admin-suggest.js" defer></script>');
      expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\sstyle="|\son[a-z]+="/i);
      const none = await admin.page(`/admin/users/${(await person()).id}`);
      expect(none.body).toContain('Not a member of any group.');
    });

    it('adds the person to a group named in any case, audited; again: already a member, nothing written', async () => {
      const ada = await person('ada');
      const team = await group('User-Page-Team');
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/users/${ada.id}/groups`, { group: 'user-page-team' });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/users/${ada.id}?done=group-added`);
      expect((await app.store.groups.groupsOf(ada.id)).map((g) => g.id)).toEqual([team.id]);
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'group.member_added', actor: admin.user.id, subject: ada.id, details: { group_id: team.id, group: 'User-Page-Team' } }]);
      expect(noticeOf(await admin.page(`/admin/users/${ada.id}?done=group-added`))).toBe('The user was added to the group.');
      const middle = await lastEventId(app);
      const again = await admin.post(`/admin/users/${ada.id}/groups`, { group: team.id });
      expect(again.location).toBe(`${app.url}/admin/users/${ada.id}?done=group-already`);
      expect(await lastEventId(app)).toBe(middle);
    });

    it('refuses a group nobody made under the field with what was typed (escaped), and writes nothing', async () => {
      const ada = await person('ada');
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/users/${ada.id}/groups`, { group: `no-such-${XSS}` });
      expect(answer.status).toBe(404);
      expect(fieldError(answer, 'group')).toContain('No group');
      expect(inputTag(answer, 'group')).toContain(`value="no-such-${XSS_ESCAPED}"`);
      expect(inputTag(answer, 'group')).toContain('aria-invalid="true"');
      expect(answer.body).not.toContain(XSS);
      expect(await app.store.groups.groupsOf(ada.id)).toEqual([]);
      expect(await lastEventId(app)).toBe(before);
    });

    it('removes the person from a group, audited', async () => {
      const ada = await person('ada');
      const team = await group('user-page-remove');
      await app.store.groups.addMember(team.id, ada.id, clock.now());
      const before = await lastEventId(app);
      const answer = await admin.post(`/admin/users/${ada.id}/groups/${team.id}/remove`, {});
      expect(answer.location).toBe(`${app.url}/admin/users/${ada.id}?done=group-removed`);
      expect(await app.store.groups.groupsOf(ada.id)).toEqual([]);
      expect(await eventsSince(app, before)).toMatchObject([{ type: 'group.member_removed', actor: admin.user.id, subject: ada.id, details: { group_id: team.id } }]);
    });

    it('answers an unknown person or group with a 404 and writes nothing', async () => {
      const ada = await person('ada');
      const team = await group('user-page-404');
      const before = await lastEventId(app);
      expect((await admin.post(`/admin/users/no-such-user/groups`, { group: 'user-page-404' })).status).toBe(404);
      expect((await admin.post(`/admin/users/${ada.id}/groups/no-such-group/remove`, {})).status).toBe(404);
      expect((await admin.post(`/admin/users/no-such-user/groups/${team.id}/remove`, {})).status).toBe(404);
      expect(await lastEventId(app)).toBe(before);
    });
  });

  it('puts Groups and Attributes in the navigation of every admin page', async () => {
    const page = await admin.page('/admin');
    expect(page.body).toContain('<a href="/admin/groups">Groups</a>');
    expect(page.body).toContain('<a href="/admin/attributes">Attributes</a>');
  });
});
