// The access settings of the Clients admin screens (issue 21), as an administrator's browser uses them: who may use
// an application (everyone, or members of groups typed by name), which groups its tokens carry (all, listed, a
// prefix), its initiate login URI, logo and access contact. What the forms write and audit, how the client page
// shows them (each group a link to its page), and the refusals: an unknown group, a bad prefix, an http logo, a
// javascript: URI, each at its field with the form shown again and nothing written; CSRF; a stale sign-in.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import { createClient, type NewClientInput } from '../../src/manage/clients.js';
import type { AuditEventRecord, ClientRecord, GroupRecord } from '../../src/store/records.js';
import type { SignedInAdmin } from '../helpers/admin.js';
import type { Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { PASSWORD } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { appWithAdminPerTest, blankClientFields, escaped, fieldError, inputValue, tagOf, textareaText } from './admin-screen-helpers.js';

const MINUTE = 60_000;

/** The error summary's links: [target id, message]. */
const summaryLinks = (page: Page) =>
  [...(/<div class="alert" role="alert" id="error-summary">([\s\S]*?)<\/div>/.exec(page.body)?.[1] ?? '').matchAll(/<a href="#([^"]+)">([^<]*)<\/a>/g)].map((m) => [m[1], m[2]]);
/** The text of the client page's Access facts. */
const accessFact = (page: Page, term: string) => new RegExp(`<dt>${term}</dt><dd>([\\s\\S]*?)</dd>`).exec(page.body)?.[1] ?? null;

describe('admin: the access settings of a client (issue 21)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let staff: GroupRecord;
  let contractors: GroupRecord;
  let wikiEditors: GroupRecord;

  async function group(name: string): Promise<GroupRecord> {
    return app.store.groups.create({ id: randomId(), name, description: '' }, clock.now());
  }

  async function register(name: string, input: Partial<NewClientInput> = {}): Promise<ClientRecord> {
    const ctx = { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config };
    return (await createClient(ctx, { name, redirectUris: ['https://rp.example/callback'], ...input })).client;
  }

  async function events(type: string): Promise<AuditEventRecord[]> {
    return app.store.audit.list({ limit: 100, filter: { type } });
  }

  /** The registration form as a browser sends it: every field, the radio buttons' choices. */
  const validForm = {
    name: 'Wiki',
    redirect_uris: 'https://wiki.example.com/callback',
    ...blankClientFields,
  };
  const { client_type: _type, ...editForm } = validForm;

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  beforeAll(async () => {
    staff = await group('Staff');
    contractors = await group('contractors');
    wikiEditors = await group('wiki-editors');
  });

  describe('registering', () => {
    it('offers the access fields, with group suggestions from a datalist and the suggestion script', async () => {
      const form = await admin.page('/admin/clients/new');
      for (const id of [
        'access_policy-everyone',
        'access_policy-groups',
        'access_groups',
        'access_group_add',
        'groups_claim-all',
        'groups_claim-listed',
        'groups_claim-prefix',
        'groups_claim_prefix',
        'claim_groups',
        'initiate_login_uri',
        'logo_uri',
        'access_contact',
      ]) {
        expect(tagOf(form, id), id).not.toBe('');
        // Each labelled: a <label for>, or (the prefix box, inside its radio button's sentence) an aria-label.
        if (id === 'groups_claim_prefix') expect(tagOf(form, id)).toContain('aria-label="Group name prefix"');
        else expect(form.body, id).toMatch(new RegExp(`<label[^>]* for="${id}">`));
      }
      expect(tagOf(form, 'access_policy-everyone')).toContain('checked');
      expect(tagOf(form, 'groups_claim-all')).toContain('checked');
      expect(tagOf(form, 'access_group_add')).toContain('list="group-suggestions"');
      expect(tagOf(form, 'access_group_add')).toContain('data-suggest-url="/admin/groups/suggest"');
      expect(form.body).toMatch(/<datalist id="group-suggestions">[\s\S]*<option value="contractors"><\/option>[\s\S]*<option value="Staff"><\/option>[\s\S]*<\/datalist>/);
      expect(form.body).toContain('<script src="/static/admin-suggest.js" defer></script>');
    });

    it('registers a client for members of groups typed by name (any case, lines and commas, the add box), listed groups in tokens, a login URI, a logo and a contact', async () => {
      const answer = await admin.post('/admin/clients', {
        ...validForm,
        access_policy: 'groups',
        access_groups: 'staff, CONTRACTORS\r\n',
        access_group_add: 'wiki-editors',
        groups_claim: 'listed',
        claim_groups: 'Staff',
        initiate_login_uri: 'https://wiki.example.com/login?from=idp',
        logo_uri: 'https://wiki.example.com/logo.png',
        access_contact: 'the wiki team, wiki@example.com',
      });
      expect(answer.status, answer.body).toBe(200);
      const clientId = inputValue(answer, 'client_id') ?? '';
      const stored = await app.store.clients.findById(clientId);
      expect(stored).toMatchObject({
        accessPolicy: 'groups',
        groupsClaim: { kind: 'listed' },
        claimGroups: [staff.id],
        initiateLoginUri: 'https://wiki.example.com/login?from=idp',
        logoUri: 'https://wiki.example.com/logo.png',
        accessContact: 'the wiki team, wiki@example.com',
      });
      expect([...(stored?.accessGroups ?? [])].sort()).toEqual([staff.id, contractors.id, wikiEditors.id].sort());
      expect((await events('client.created'))[0]).toMatchObject({ actor: admin.user.id, subject: clientId, details: { access_policy: 'groups', groups_claim: 'listed' } });

      // The client page: the settings, each group a link to its page, and the edit form filled with names.
      const page = await admin.page(`/admin/clients/${clientId}`);
      const who = accessFact(page, 'Who may use it') ?? '';
      expect(who).toContain('members of ');
      for (const g of [staff, contractors, wikiEditors]) expect(who).toContain(`<a href="/admin/groups/${g.id}">${g.name}</a>`);
      expect(accessFact(page, 'Groups in tokens')).toContain(`<a href="/admin/groups/${staff.id}">Staff</a>`);
      expect(accessFact(page, 'Initiate login URI')).toBe('<code>https://wiki.example.com/login?from=idp</code>');
      expect(accessFact(page, 'Logo URI')).toBe('<code>https://wiki.example.com/logo.png</code>');
      expect(accessFact(page, 'Access contact')).toBe('the wiki team, wiki@example.com');
      expect(tagOf(page, 'access_policy-groups')).toContain('checked');
      expect(tagOf(page, 'groups_claim-listed')).toContain('checked');
      expect((textareaText(page, 'access_groups') ?? '').split('\n').sort()).toEqual(['Staff', 'contractors', 'wiki-editors'].sort());
      expect(textareaText(page, 'claim_groups')).toBe('Staff');
      expect(inputValue(page, 'initiate_login_uri')).toBe('https://wiki.example.com/login?from=idp');
      expect(inputValue(page, 'logo_uri')).toBe('https://wiki.example.com/logo.png');
      expect(inputValue(page, 'access_contact')).toBe('the wiki team, wiki@example.com');
    });

    it('registers a client whose tokens carry the groups with a name prefix', async () => {
      const answer = await admin.post('/admin/clients', { ...validForm, name: 'Prefixed', groups_claim: 'prefix', groups_claim_prefix: ' wiki- ' });
      expect(answer.status, answer.body).toBe(200);
      const clientId = inputValue(answer, 'client_id') ?? '';
      expect(await app.store.clients.findById(clientId)).toMatchObject({ accessPolicy: 'everyone', accessGroups: [], groupsClaim: { kind: 'prefix', prefix: 'wiki-' } });
      const page = await admin.page(`/admin/clients/${clientId}`);
      expect(accessFact(page, 'Who may use it')).toBe('everyone with an account');
      expect(accessFact(page, 'Groups in tokens')).toBe('groups whose name starts with <code>wiki-</code>');
      expect(accessFact(page, 'Access contact')).toBe('server setting (your administrator)');
      expect(tagOf(page, 'groups_claim-prefix')).toContain('checked');
      expect(inputValue(page, 'groups_claim_prefix')).toBe('wiki-');
    });

    it('keeps the defaults (everyone, all groups, no URIs) for a form without the access fields', async () => {
      const {
        access_policy: _a,
        access_groups: _b,
        access_group_add: _c,
        groups_claim: _d,
        groups_claim_prefix: _e,
        claim_groups: _f,
        claim_group_add: _g,
        initiate_login_uri: _h,
        logo_uri: _i,
        access_contact: _j,
        ...older
      } = validForm;
      const answer = await admin.post('/admin/clients', { ...older, name: 'Older form' });
      expect(answer.status, answer.body).toBe(200);
      expect(await app.store.clients.findById(inputValue(answer, 'client_id') ?? '')).toMatchObject({
        accessPolicy: 'everyone',
        accessGroups: [],
        groupsClaim: { kind: 'all' },
        claimGroups: [],
        initiateLoginUri: null,
        logoUri: null,
        accessContact: null,
      });
    });

    it.each([
      ['access_groups', { access_policy: 'groups', access_groups: 'Staff\r\nno-such-group' }, 'no group "no-such-group"'],
      ['access_group_add', { access_policy: 'groups', access_groups: 'Staff', access_group_add: 'ghosts' }, 'no group "ghosts"'],
      ['claim_groups', { groups_claim: 'listed', claim_groups: 'phantoms' }, 'no group "phantoms"'],
      ['groups_claim_prefix', { groups_claim: 'prefix', groups_claim_prefix: 'bad prefix!' }, 'the groups claim is all, listed, or prefix:P'],
      ['groups_claim_prefix', { groups_claim: 'prefix', groups_claim_prefix: '' }, 'the groups claim is all, listed, or prefix:P'],
      ['logo_uri', { logo_uri: 'http://wiki.example.com/logo.png' }, 'use https'],
      // Not even on loopback, unlike the other URIs: an http image on an https account page is mixed content.
      ['logo_uri', { logo_uri: 'http://127.0.0.1:8080/logo.png' }, 'must use https'],
      ['logo_uri', { logo_uri: 'javascript:alert(1)' }, 'javascript:alert(1)'],
      ['initiate_login_uri', { initiate_login_uri: 'javascript:alert(1)' }, 'javascript:alert(1)'],
      ['initiate_login_uri', { initiate_login_uri: 'http://wiki.example.com/login' }, 'uses http on a host that is not loopback'],
      ['initiate_login_uri', { initiate_login_uri: 'https://wiki.example.com/login#start' }, 'must not have a fragment'],
      ['access_contact', { access_contact: 'call\u0007me' }, 'must not contain control characters'],
    ])('refuses a bad %s at the field with status 400, in the error summary, keeps what was typed and writes nothing (%j)', async (id, change, message) => {
      const before = await app.store.clients.count();
      const created = (await events('client.created')).length;
      const sent: Record<string, string> = { ...validForm, name: 'Refused', ...change };
      const answer = await admin.post('/admin/clients', sent);
      expect(answer.status, answer.body).toBe(400);
      const field = id === 'groups_claim_prefix' ? 'groups_claim' : id;
      expect(fieldError(answer, field)).toContain(escaped(message));
      expect(tagOf(answer, id)).toContain('aria-invalid="true"');
      expect(tagOf(answer, id)).toMatch(new RegExp(`aria-describedby="[^"]*\\b${field}-error"`));
      expect(answer.body.match(/aria-invalid="true"/g)?.length).toBe(1);
      expect(summaryLinks(answer)).toEqual([[id, fieldError(answer, field)]]);
      // What was typed comes back as typed.
      for (const textarea of ['access_groups', 'claim_groups']) expect(textareaText(answer, textarea)).toBe(escaped(sent[textarea] ?? ''));
      for (const input of ['access_group_add', 'groups_claim_prefix', 'initiate_login_uri', 'logo_uri', 'access_contact']) expect(inputValue(answer, input)).toBe(escaped(sent[input] ?? ''));
      expect(tagOf(answer, `groups_claim-${sent.groups_claim}`)).toContain('checked');
      expect(await app.store.clients.count()).toBe(before);
      expect((await events('client.created')).length).toBe(created);
    });

    it('refuses a form without the CSRF token, and registers nothing', async () => {
      const before = await app.store.clients.count();
      const answer = await admin.browser.postForm(`${app.url}/admin/clients`, { ...validForm, name: 'Forged', access_policy: 'groups', access_groups: 'Staff' });
      expect(answer.status).toBe(403);
      expect(await app.store.clients.count()).toBe(before);
    });
  });

  describe('editing', () => {
    it('restricts an application to groups and lists groups in its tokens, audited by setting name', async () => {
      const client = await register('Editable');
      const answer = await admin.post(`/admin/clients/${client.clientId}`, {
        ...editForm,
        name: 'Editable',
        redirect_uris: 'https://rp.example/callback',
        access_policy: 'groups',
        access_groups: 'contractors',
        groups_claim: 'listed',
        claim_group_add: 'WIKI-EDITORS',
        initiate_login_uri: 'http://127.0.0.1:8080/start',
      });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/clients/${client.clientId}?done=saved`);
      expect(await app.store.clients.findById(client.clientId)).toMatchObject({
        accessPolicy: 'groups',
        accessGroups: [contractors.id],
        groupsClaim: { kind: 'listed' },
        claimGroups: [wikiEditors.id],
        initiateLoginUri: 'http://127.0.0.1:8080/start',
      });
      const [updated] = await events('client.updated');
      expect(updated).toMatchObject({ actor: admin.user.id, subject: client.clientId });
      expect([...((updated?.details.changed as string[]) ?? [])].sort()).toEqual(['access_groups', 'access_policy', 'claim_groups', 'groups_claim', 'initiate_login_uri']);
      // The group typed in the add box is in the list now.
      expect(textareaText(await admin.page(`/admin/clients/${client.clientId}`), 'claim_groups')).toBe('wiki-editors');
    });

    it('opens an application to everyone again without emptying the groups box first, and clears the URIs and contact', async () => {
      const client = await register('Reopened', {
        accessGroups: ['Staff'],
        groupsClaim: 'prefix:wiki-',
        initiateLoginUri: 'https://rp.example/login',
        logoUri: 'https://rp.example/logo.png',
        accessContact: 'Ops',
      });
      expect(client.accessPolicy).toBe('groups');
      const page = await admin.page(`/admin/clients/${client.clientId}`);
      expect(textareaText(page, 'access_groups')).toBe('Staff');
      const answer = await admin.post(`/admin/clients/${client.clientId}`, {
        ...editForm,
        name: 'Reopened',
        redirect_uris: 'https://rp.example/callback',
        access_policy: 'everyone',
        access_groups: 'Staff',
        groups_claim: 'all',
      });
      expect(answer.status, answer.body).toBe(303);
      expect(await app.store.clients.findById(client.clientId)).toMatchObject({
        accessPolicy: 'everyone',
        accessGroups: [],
        groupsClaim: { kind: 'all' },
        initiateLoginUri: null,
        logoUri: null,
        accessContact: null,
      });
    });

    it('saves nothing when the groups are typed in another case and order than stored', async () => {
      const client = await register('Same groups', { accessGroups: ['Staff', 'contractors'], claimGroups: ['wiki-editors'], groupsClaim: 'listed' });
      const answer = await admin.post(`/admin/clients/${client.clientId}`, {
        ...editForm,
        name: 'Same groups',
        redirect_uris: 'https://rp.example/callback',
        access_policy: 'groups',
        access_groups: 'CONTRACTORS, staff',
        groups_claim: 'listed',
        claim_groups: 'Wiki-Editors',
      });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/clients/${client.clientId}?done=unchanged`);
      expect((await events('client.updated')).filter((event) => event.subject === client.clientId)).toEqual([]);
    });

    it('leaves the access settings as they are when the form has none of their fields', async () => {
      const client = await register('Kept', { accessGroups: ['Staff'], groupsClaim: 'listed', initiateLoginUri: 'https://rp.example/login' });
      const answer = await admin.post(`/admin/clients/${client.clientId}`, {
        name: 'Kept (renamed)',
        redirect_uris: 'https://rp.example/callback',
        post_logout_redirect_uris: '',
        backchannel_logout_uri: '',
      });
      expect(answer.status, answer.body).toBe(303);
      expect(await app.store.clients.findById(client.clientId)).toMatchObject({
        name: 'Kept (renamed)',
        accessPolicy: 'groups',
        accessGroups: [staff.id],
        groupsClaim: { kind: 'listed' },
        initiateLoginUri: 'https://rp.example/login',
      });
    });

    it.each([
      ['access_groups', { access_policy: 'groups', access_groups: 'Staff, nobody-here' }, 'no group "nobody-here"'],
      ['groups_claim_prefix', { groups_claim: 'prefix', groups_claim_prefix: 'wiki/' }, 'the groups claim is all, listed, or prefix:P'],
      ['logo_uri', { logo_uri: 'http://rp.example/logo.png' }, 'use https'],
      ['initiate_login_uri', { initiate_login_uri: 'javascript:alert(document.cookie)' }, 'javascript:alert(document.cookie)'],
    ])('refuses an edit with a bad %s at the field, shows the form again, and changes nothing (%j)', async (id, change, message) => {
      const client = await register('Untouched', { accessGroups: ['contractors'], initiateLoginUri: 'https://rp.example/login' });
      const answer = await admin.post(`/admin/clients/${client.clientId}`, {
        ...editForm,
        name: 'Untouched (renamed)',
        redirect_uris: 'https://rp.example/callback',
        access_policy: 'groups',
        access_groups: 'contractors',
        ...change,
      });
      expect(answer.status, answer.body).toBe(400);
      const field = id === 'groups_claim_prefix' ? 'groups_claim' : id;
      expect(fieldError(answer, field)).toContain(escaped(message));
      expect(tagOf(answer, id)).toContain('aria-invalid="true"');
      expect(summaryLinks(answer)).toEqual([[id, fieldError(answer, field)]]);
      expect(inputValue(answer, 'name')).toBe('Untouched (renamed)');
      // The page around the form still shows the client as stored.
      expect(accessFact(answer, 'Who may use it')).toContain(`<a href="/admin/groups/${contractors.id}">contractors</a>`);
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
      expect((await events('client.updated')).filter((event) => event.subject === client.clientId)).toEqual([]);
    });

    it('refuses an edit without the CSRF token, and changes nothing', async () => {
      const client = await register('Guarded');
      const answer = await admin.browser.postForm(`${app.url}/admin/clients/${client.clientId}`, {
        ...editForm,
        name: 'Guarded',
        redirect_uris: 'https://rp.example/callback',
        access_policy: 'groups',
        access_groups: 'Staff',
        csrf: 'forged',
      });
      expect(answer.status).toBe(403);
      expect(await app.store.clients.findById(client.clientId)).toEqual(client);
    });

    it('asks an administrator who signed in more than 15 minutes ago for the password before changing who may use an application', async () => {
      const client = await register('Stale');
      const form = { ...editForm, name: 'Stale', redirect_uris: 'https://rp.example/callback', access_policy: 'groups', access_groups: 'Staff' };
      clock.advance(16 * MINUTE);
      try {
        const asked = await admin.post(`/admin/clients/${client.clientId}`, form);
        expect(asked.status).toBe(403);
        expect(asked.body).toContain('Confirm it’s you');
        expect(await app.store.clients.findById(client.clientId)).toEqual(client);
        // The same form with the password goes ahead.
        const confirmed = await admin.post(`/admin/clients/${client.clientId}`, { ...form, confirm_password: PASSWORD });
        expect(confirmed.status, confirmed.body).toBe(303);
        expect(await app.store.clients.findById(client.clientId)).toMatchObject({ accessPolicy: 'groups', accessGroups: [staff.id] });
      } finally {
        clock.advance(-16 * MINUTE);
      }
    });

    it('shows an application restricted to groups that were all deleted as open to nobody', async () => {
      const doomed = await group('doomed');
      const client = await register('Orphaned', { accessGroups: ['doomed'] });
      await app.store.groups.delete(doomed.id);
      const page = await admin.page(`/admin/clients/${client.clientId}`);
      expect(accessFact(page, 'Who may use it')).toContain('<span class="badge badge-bad">nobody</span>');
      expect(tagOf(page, 'access_policy-groups')).toContain('checked');
      expect(textareaText(page, 'access_groups')).toBe('');
    });

    it('shows an access contact with markup as text', async () => {
      const client = await register('Contact', { accessContact: '<b>Ops</b> & "friends"' });
      const page = await admin.page(`/admin/clients/${client.clientId}`);
      expect(accessFact(page, 'Access contact')).toBe('&lt;b&gt;Ops&lt;/b&gt; &amp; &#34;friends&#34;');
      expect(inputValue(page, 'access_contact')).toBe('&lt;b&gt;Ops&lt;/b&gt; &amp; &#34;friends&#34;');
      expect(page.body).not.toContain('<b>Ops</b>');
    });
  });
});
