// "Your applications" and "Your details" on the account page (issue 21). Listed: the applications with an initiate
// login URI that the person may use (the access rule every sign-in checks), each with its logo and a link to the
// URI carrying `iss` and `login_hint` (OIDC Core §4), in this tab. Not listed: applications without the URI, and
// those restricted to groups the person is not in. "Your details": the attributes marked visible to the person,
// never the others. Groups and attributes are set up with store methods directly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import { createClient, type NewClientInput } from '../../src/manage/clients.js';
import type { AttributeDefinition, GroupRecord, UserRecord } from '../../src/store/records.js';
import type { Page } from '../helpers/browser.js';
import { addUser } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signedInPerson } from './account-helpers.js';

const XSS = '<img src=x onerror=alert(1)>';
const XSS_ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';

/** The "Your applications" section of the page. */
function applicationsSection(page: Page): string {
  const start = page.body.indexOf('id="applications-heading"');
  if (start === -1) throw new Error('no "Your applications" on the page');
  return page.body.slice(start, page.body.indexOf('</section>', start));
}

/** The "Your details" section, or null when the page has none. */
function detailsSection(page: Page): string | null {
  const start = page.body.indexOf('id="details-heading"');
  return start === -1 ? null : page.body.slice(start, page.body.indexOf('</section>', start));
}

/** The listed applications: name (as in the HTML) → the link's href, decoded from the attribute. */
function listedLinks(page: Page): Map<string, string> {
  const links = new Map<string, string>();
  for (const match of applicationsSection(page).matchAll(/<a href="([^"]*)"([^>]*)>([^<]*)<\/a>/g)) {
    expect(match[2], 'opens in the same tab').toBe('');
    links.set(match[3] ?? '', (match[1] ?? '').replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  }
  return links;
}

describe('the account page: your applications and your details (issue 21)', () => {
  let app: RunningApp;
  let staff: GroupRecord;

  async function register(name: string, input: Partial<NewClientInput> = {}) {
    const ctx = { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config };
    return (await createClient(ctx, { name, redirectUris: ['https://rp.example/callback'], ...input })).client;
  }

  beforeAll(async () => {
    app = await startApp();
    staff = await app.store.groups.create({ id: randomId(), name: 'staff', description: '' }, app.clock.now());
    await register('No login URI');
    await register('Wiki', { initiateLoginUri: 'https://wiki.example.com/login', logoUri: 'https://wiki.example.com/logo.png' });
    await register('Intranet', { initiateLoginUri: 'https://intranet.example.com/start?lang=en', accessGroups: ['staff'] });
    await register('Nobody', { initiateLoginUri: 'https://nobody.example.com/start', accessPolicy: 'groups', accessGroups: [] });
    await register(XSS, { initiateLoginUri: 'http://127.0.0.1:9999/login' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('lists the applications with an initiate login URI, with iss and login_hint URL-encoded in each link, and the logo of those that have one', async () => {
    const user = await addUser(app, `ada+apps.${process.pid}@example.com`);
    const person = await signedInPerson(app, user);
    const page = await person.page();
    const links = listedLinks(page);
    expect([...links.keys()].sort()).toEqual([XSS_ESCAPED, 'Wiki'].sort());

    const wiki = new URL(links.get('Wiki') ?? '');
    expect(`${wiki.origin}${wiki.pathname}`).toBe('https://wiki.example.com/login');
    expect(wiki.searchParams.get('iss')).toBe(app.config.issuer);
    expect(wiki.searchParams.get('login_hint')).toBe(user.email);
    // Encoded in the query: the + of the address is not read back as a space, the @ and the issuer's : and / escaped.
    expect(links.get('Wiki')).toBe(`https://wiki.example.com/login?iss=${encodeURIComponent(app.config.issuer)}&login_hint=${encodeURIComponent(user.email)}`);

    const section = applicationsSection(page);
    expect(section).toContain('<img src="https://wiki.example.com/logo.png" alt="" width="32" height="32" referrerpolicy="no-referrer"');
    // Only the application with a logo has an image.
    expect(section.match(/<img /g)?.length).toBe(1);
    expect(section).not.toContain('target=');
    // The page's policy admits that logo's origin for images, and no other origin, for nothing else.
    const policy = (page.headers.get('content-security-policy') ?? '').split(';').map((directive) => directive.trim());
    expect(policy).toContain("img-src 'self' data: https://wiki.example.com");
    expect(policy.filter((directive) => directive.includes('wiki.example.com'))).toHaveLength(1);
  });

  it('admits no image origin of an application the person cannot open', async () => {
    const user = await addUser(app, `grace+apps.${process.pid}@example.com`);
    await register('Logo elsewhere', { initiateLoginUri: 'https://elsewhere.example.com/login', logoUri: 'https://cdn.example.net/x.png', accessGroups: ['staff'] });
    const page = await (await signedInPerson(app, user)).page();
    expect(listedLinks(page).has('Logo elsewhere')).toBe(false);
    const policy = (page.headers.get('content-security-policy') ?? '').split(';').map((directive) => directive.trim());
    expect(policy).toContain("img-src 'self' data: https://wiki.example.com");
    expect(page.headers.get('content-security-policy')).not.toContain('cdn.example.net');
  });

  it('keeps the query the initiate login URI already has', async () => {
    const user = await newPerson(app, 'staff');
    await app.store.groups.addMember(staff.id, user.id, app.clock.now());
    const links = listedLinks(await (await signedInPerson(app, user)).page());
    const intranet = new URL(links.get('Intranet') ?? '');
    expect(intranet.searchParams.get('lang')).toBe('en');
    expect(intranet.searchParams.get('iss')).toBe(app.config.issuer);
    expect(intranet.searchParams.get('login_hint')).toBe(user.email);
  });

  it('lists an application restricted to a group only for its members, and stops listing it when the person leaves the group', async () => {
    const outsider = await newPerson(app, 'outsider');
    const outsiderPage = await (await signedInPerson(app, outsider)).page();
    expect(listedLinks(outsiderPage).has('Intranet')).toBe(false);
    expect(applicationsSection(outsiderPage)).not.toContain('intranet.example.com');

    const member = await newPerson(app, 'member');
    await app.store.groups.addMember(staff.id, member.id, app.clock.now());
    const person = await signedInPerson(app, member);
    expect(listedLinks(await person.page()).has('Intranet')).toBe(true);
    // An application restricted to no group at all admits nobody, members of staff included.
    expect(listedLinks(await person.page()).has('Nobody')).toBe(false);

    await app.store.groups.removeMember(staff.id, member.id);
    expect(listedLinks(await person.page()).has('Intranet')).toBe(false);
  });

  it('shows an application name with markup as text, and its logo as a decorative image beside it', async () => {
    await register(`${XSS} with logo`, { initiateLoginUri: 'https://xss.example.com/login', logoUri: 'https://xss.example.com/logo.png' });
    const page = await (await signedInPerson(app, await newPerson(app, 'reader'))).page();
    const section = applicationsSection(page);
    expect(section).toContain(`>${XSS_ESCAPED}</a>`);
    expect(section).toContain('<img src="https://xss.example.com/logo.png" alt=""');
    expect(page.body).not.toContain(XSS);
  });

  it('says so when no application can be opened from the page', async () => {
    const empty = await startApp();
    try {
      const page = await (await signedInPerson(empty, await newPerson(empty, 'alone'))).page();
      expect(applicationsSection(page)).toContain('No application can be opened from here yet.');
      expect(listedLinks(page).size).toBe(0);
    } finally {
      await empty.stop();
    }
  });

  describe('your details', () => {
    const HIDDEN_SCORE = 918_273_645;
    let user: UserRecord;

    async function define(definition: Omit<AttributeDefinition, 'createdAt'>): Promise<void> {
      await app.store.attributes.define(definition, app.clock.now());
    }

    beforeAll(async () => {
      await define({ name: 'cost_centre', type: 'string', claim: 'cost_centre', scope: 'hr', userVisible: true });
      await define({ name: 'languages', type: 'list', claim: 'languages', scope: 'hr', userVisible: true });
      await define({ name: 'office', type: 'string', claim: 'office', scope: 'hr', userVisible: true });
      await define({ name: 'risk_score', type: 'number', claim: 'risk_score', scope: 'internal', userVisible: false });
      user = await newPerson(app, 'detailed');
      await app.store.attributes.setValue(user.id, 'cost_centre', `CC-42 ${XSS}`, app.clock.now());
      await app.store.attributes.setValue(user.id, 'languages', ['en', 'fr'], app.clock.now());
      await app.store.attributes.setValue(user.id, 'risk_score', HIDDEN_SCORE, app.clock.now());
    });

    it('shows the values of the attributes visible to the person, as text, and never the hidden ones', async () => {
      const page = await (await signedInPerson(app, user)).page();
      const details = detailsSection(page) ?? '';
      expect(details).toContain('id="details-heading">Your details</h2>');
      expect(details).toContain(`<dt>Cost centre</dt><dd>CC-42 ${XSS_ESCAPED}</dd>`);
      expect(details).toContain('<dt>Languages</dt><dd>en, fr</dd>');
      // A visible attribute without a value for this person is not listed.
      expect(details).not.toContain('Office');
      expect(page.body).not.toMatch(/risk/i);
      // A value long enough that no random token or nonce on the page can contain it by chance.
      expect(page.body).not.toContain(String(HIDDEN_SCORE));
      expect(page.body).not.toContain(XSS);
    });

    it('shows no "Your details" section to a person without visible values', async () => {
      const other = await newPerson(app, 'plain');
      await app.store.attributes.setValue(other.id, 'risk_score', 5, app.clock.now());
      const page = await (await signedInPerson(app, other)).page();
      expect(detailsSection(page)).toBeNull();
      expect(page.body).not.toMatch(/risk/i);
    });
  });
});
