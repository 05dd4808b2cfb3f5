// The admin pages show the people and applications an audit event names by email and name, the id in the link's
// title and the link to their page (issue 20), on the dashboard, the audit log and the user page. An id that names
// nobody any more is shown as it is, and a name is text, never markup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientRecord, UserRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const XSS = '<script>alert(1)</script>';

describe('admin: people and applications by name in the audit events', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let admin: SignedInAdmin;
  let ada: UserRecord;
  let wiki: ClientRecord;
  let evil: ClientRecord;

  const personLink = (user: UserRecord) => `<a href="/admin/users/${user.id}" title="person ${user.id}">${user.email}</a>`;
  const applicationLink = (client: ClientRecord, shownName = client.name) => `<a href="/admin/clients/${client.clientId}" title="application ${client.clientId}">${shownName}</a>`;

  beforeAll(async () => {
    app = await startApp({ clock });
    admin = await signedInAdmin(app);
    ada = await addUser(app, 'ada@example.com');
    wiki = (await app.store.clients.findById((await addClient(app, { name: 'Team wiki' })).clientId)) as ClientRecord;
    evil = (await app.store.clients.findById((await addClient(app, { name: XSS, redirectUris: ['https://evil.example/cb'] })).clientId)) as ClientRecord;
    const event = { ip: '198.51.100.7', outcome: 'success' as const, details: {} };
    await app.store.audit.append({ ...event, at: clock.now(), type: 'token.issued', actor: ada.id, subject: ada.id, clientId: wiki.clientId });
    await app.store.audit.append({ ...event, at: clock.now(), type: 'refresh_token.reused', actor: evil.clientId, subject: ada.id, clientId: evil.clientId });
    await app.store.audit.append({ ...event, at: clock.now(), type: 'user.deleted', actor: 'cli', subject: 'a-deleted-user-id', clientId: null });
  });
  afterAll(() => app.stop());

  it('the audit log shows the person by email and the application by name, each linking to its page with the id in the title', async () => {
    const page = await admin.page('/admin/audit');
    expect(page.status).toBe(200);
    expect(page.body).toContain(personLink(ada));
    expect(page.body).toContain(applicationLink(wiki));
    // The filter on them is still one link away, named for a screen reader by the name, carrying the id.
    expect(page.body).toContain(`href="/admin/audit?actor=${ada.id}" title="Events by this actor: ${ada.id}" aria-label="Events by this actor: ada@example.com">events</a>`);
    expect(page.body).toContain(`href="/admin/audit?client=${wiki.clientId}"`);
  });

  it('shows an id that names nobody (a deleted user, the command-line tool) as it is, with its filter link', async () => {
    const page = await admin.page('/admin/audit');
    expect(page.body).toContain('<a href="/admin/audit?subject=a-deleted-user-id" title="Events about this target"><code>a-deleted-user-id</code></a>');
    expect(page.body).toContain('<a href="/admin/audit?actor=cli" title="Events by this actor"><code>cli</code></a>');
  });

  it('shows an application whose name is markup as text', async () => {
    const page = await admin.page('/admin/audit');
    expect(page.body).not.toContain(XSS);
    expect(page.body).toContain(applicationLink(evil, '&lt;script&gt;alert(1)&lt;/script&gt;'));
  });

  it('the dashboard and the user page name them the same way', async () => {
    const dashboard = await admin.page('/admin');
    expect(dashboard.body).toContain(personLink(ada));
    expect(dashboard.body).toContain(applicationLink(wiki));
    const userPage = await admin.page(`/admin/users/${ada.id}`);
    expect(userPage.body).toContain(applicationLink(wiki));
    expect(userPage.body).toContain(personLink(ada));
  });
});
