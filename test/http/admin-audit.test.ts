// The audit log screen (/admin/audit) and its JSON-lines export, driven over HTTP by a signed-in administrator.
// Events are seeded straight into the store, as the rest of Gatehouse writes them; tampering is raw SQL on the
// app's database, behind its back.
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { fromExportedLine } from '../../src/audit/export.js';
import { ChainChecker } from '../../src/audit/verify.js';
import type { AuditEventRecord, NewAuditEvent } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import type { Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const XSS = '<script>alert(1)</script>';
const at = (iso: string) => Date.parse(iso);

/** The event ids a page lists, in order (the first column of each row). */
const listedIds = (page: Page): number[] => [...page.body.matchAll(/<tr>\s*<td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
/** An href on the page, by its link text, HTML-unescaped. */
const linkTo = (page: Page, text: string): string | null => {
  const href = new RegExp(`<a [^>]*href="([^"]*)"[^>]*>${text}</a>`).exec(page.body)?.[1];
  return href === undefined ? null : href.replace(/&amp;/g, '&');
};

/** Runs one statement (`?` placeholders) on the app's own database, whichever the engine. */
async function rawSql(app: RunningApp, sql: string, params: unknown[] = []): Promise<void> {
  const { database } = app.config;
  if (database.engine === 'sqlite') {
    const db = new Database(app.config.sqliteFile);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
    return;
  }
  let index = 0;
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(
      sql.replace(/\?/g, () => `$${++index}`),
      params,
    );
  } finally {
    await client.end();
  }
}

async function seedEvents(app: RunningApp, events: NewAuditEvent[]): Promise<AuditEventRecord[]> {
  const written: AuditEventRecord[] = [];
  for (const event of events) written.push(await app.store.audit.append(event));
  return written;
}

describe('the audit log screen (/admin/audit)', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let admin: SignedInAdmin;
  let seeded: AuditEventRecord[];

  /** Every event in the log, oldest first. */
  const everything = () => app.store.audit.chain(0, 10_000);
  /** The ids the screen should list for a filter: newest first, as `keep` selects them. */
  const expectedIds = async (keep: (event: AuditEventRecord) => boolean) =>
    (await everything())
      .filter(keep)
      .map((e) => e.id)
      .reverse();

  beforeAll(async () => {
    clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
    app = await startApp({ clock });
    admin = await signedInAdmin(app);
    seeded = await seedEvents(app, [
      { at: at('2025-01-10T08:00:00Z'), type: 'user.created', actor: 'cli', subject: 'u-ada', ip: '198.51.100.1', details: { email: 'ada@example.com' } },
      { at: at('2025-01-11T23:59:30Z'), type: 'user.deleted', actor: 'admin-one', subject: 'u-bob', ip: '198.51.100.1', details: {} },
      { at: at('2025-01-12T00:00:00Z'), type: 'signin.failed', actor: 'anonymous', subject: 'u-ada', clientId: 'crm', ip: '198.51.100.2', outcome: 'failure', details: { reason: 'password' } },
      { at: at('2025-01-13T10:00:00Z'), type: 'token.issued', actor: 'u-ada', subject: 'u-ada', clientId: 'wiki', ip: '198.51.100.3', details: { scope: 'openid email' } },
      { at: at('2025-01-14T10:00:00Z'), type: 'users.imported', actor: 'cli', subject: null, ip: null, details: { count: 3 } },
    ]);
  });
  afterAll(() => app?.stop());

  it('lists every event newest first with its number, time, type, outcome, actor, target, client, IP and details', async () => {
    const page = await admin.page('/admin/audit');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('<a href="/admin/audit" aria-current="page">Audit log</a>');
    expect(listedIds(page)).toEqual(await expectedIds(() => true));
    const signInFailure = seeded[2];
    const row = new RegExp(`<tr>\\s*<td>${signInFailure?.id}</td>[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? '';
    for (const cell of [
      '2025-01-12 00:00:00 UTC',
      '<code>signin.failed</code>',
      'badge-bad">failure<',
      '<code>anonymous</code>',
      '<code>u-ada</code>',
      '<code>crm</code>',
      '198.51.100.2',
      '{&#34;reason&#34;:&#34;password&#34;}',
    ]) {
      expect(row).toContain(cell);
    }
    expect(page.body).toMatch(new RegExp(`${(await everything()).length} matching events`));
  });

  describe('filters (GET query parameters) that each narrow the list', () => {
    const cases: [string, string, (e: AuditEventRecord) => boolean][] = [
      ['an exact type', 'type=user.created', (e) => e.type === 'user.created'],
      ['a type prefix ending in a dot (user. is not users.)', 'type=user.', (e) => e.type.startsWith('user.')],
      ['the actor', 'actor=anonymous', (e) => e.actor === 'anonymous'],
      ['the target', 'subject=u-ada', (e) => e.subject === 'u-ada'],
      ['the client', 'client=crm', (e) => e.clientId === 'crm'],
      ['the outcome', 'outcome=failure', (e) => e.outcome === 'failure'],
      ['a span of whole days, the last one included', 'from=2025-01-11&to=2025-01-12', (e) => e.at >= at('2025-01-11T00:00:00Z') && e.at < at('2025-01-13T00:00:00Z')],
      ['a span of datetime-local minutes, the last one included', 'from=2025-01-11T23:59&to=2025-01-12T00:00', (e) => e.at >= at('2025-01-11T23:59:00Z') && e.at < at('2025-01-12T00:01:00Z')],
      ['several at once', 'type=user.&subject=u-bob', (e) => e.type.startsWith('user.') && e.subject === 'u-bob'],
    ];
    for (const [what, query, keep] of cases) {
      it(`narrows to ${what}`, async () => {
        const page = await admin.page(`/admin/audit?${query}`);
        const expected = await expectedIds(keep);
        expect(expected.length, 'the seed has matching events').toBeGreaterThan(0);
        expect(expected.length, 'the seed has others').toBeLessThan((await everything()).length);
        expect(listedIds(page)).toEqual(expected);
        expect(page.body).toContain(`${expected.length} matching event${expected.length === 1 ? '' : 's'}`);
      });
    }

    it('keeps the filters in the form', async () => {
      const page = await admin.page('/admin/audit?type=user.&actor=cli&subject=u-ada&client=crm&outcome=failure&from=2025-01-11&to=2025-01-12T00:00');
      for (const [name, value] of [
        ['type', 'user.'],
        ['actor', 'cli'],
        ['subject', 'u-ada'],
        ['client', 'crm'],
        ['from', '2025-01-11'],
        ['to', '2025-01-12T00:00'],
      ] as const) {
        expect(page.body).toMatch(new RegExp(`<input id="filter-${name}" name="${name}" value="${value.replace('.', '\\.')}"`));
      }
      expect(page.body).toContain('<option value="failure" selected>');
      expect(page.body).toContain('No events match these filters.');
    });

    it('makes actors, targets, clients and types links to their own events', async () => {
      const page = await admin.page('/admin/audit?client=wiki');
      for (const link of ['/admin/audit?actor=u-ada', '/admin/audit?subject=u-ada', '/admin/audit?client=wiki', '/admin/audit?type=token.issued']) expect(page.body).toContain(`href="${link}"`);
    });
  });

  describe('bad filter values', () => {
    const cases: [string, string, string, RegExp][] = [
      ['a type with spaces', 'type=user+created%21', 'type', /Enter an event type such as user\.created/],
      ['an outcome other than success or failure', 'outcome=maybe', 'outcome', /Choose success or failure/],
      ['a day that does not exist', 'from=2025-02-30', 'from', /Enter a date as YYYY-MM-DD/],
      ['a time that is not one', 'from=2025-01-12T25:00', 'from', /Enter a date as YYYY-MM-DD/],
      ['an end before the start', 'from=2025-01-12&to=2025-01-11', 'to', /Enter a time after/],
      ['an actor of more than 200 characters', `actor=${'a'.repeat(201)}`, 'actor', /at most 200 characters/],
      ['a repeated parameter', 'client=crm&client=wiki', 'client', /Give one value/],
    ];
    for (const [what, query, field, message] of cases) {
      it(`shows ${what} next to its field, with status 400, and lists nothing`, async () => {
        const page = await admin.browser.get(`${app.url}/admin/audit?${query}`);
        expect(page.status).toBe(400);
        const error = new RegExp(`<p class="field-error" id="filter-${field}-error">([^<]*)</p>`).exec(page.body)?.[1] ?? '';
        expect(error).toMatch(message);
        expect(page.body).toMatch(new RegExp(`id="filter-${field}"[^>]*aria-invalid="true"`));
        expect(page.body).toMatch(new RegExp(`id="filter-${field}"[^>]*aria-describedby="[^"]*filter-${field}-error`));
        expect(page.body.match(/class="field-error"/g)).toHaveLength(1);
        expect(listedIds(page)).toEqual([]);
        expect(page.body).not.toContain('Export as JSON lines');
      });
    }

    it('keeps the values as entered', async () => {
      const page = await admin.browser.get(`${app.url}/admin/audit?type=bad+type&actor=cli&from=2025-02-30`);
      expect(page.status).toBe(400);
      expect(page.body).toContain('name="type" value="bad type"');
      expect(page.body).toContain('name="actor" value="cli"');
      expect(page.body).toContain('name="from" value="2025-02-30"');
    });

    it('answers a page position that is not an event number with 400', async () => {
      for (const before of ['abc', '0', '-5', '1e3']) {
        expect((await admin.browser.get(`${app.url}/admin/audit?before=${before}`)).status, before).toBe(400);
      }
    });
  });

  it('pages through 50 events at a time, older pages by the last id shown, keeping the filters', async () => {
    const bulk = await seedEvents(
      app,
      Array.from({ length: 120 }, (_, i) => ({ at: at('2025-02-01T00:00:00Z') + i, type: `bulk.n${i % 3}`, actor: 'cli', subject: null, ip: null, details: { i } })),
    );
    const newestFirst = bulk.map((e) => e.id).reverse();
    const first = await admin.page('/admin/audit?type=bulk.&outcome=success');
    expect(listedIds(first)).toEqual(newestFirst.slice(0, 50));
    expect(first.body).toContain('120 matching events');
    expect(linkTo(first, 'Newest events')).toBeNull();
    const older = linkTo(first, 'Older events');
    expect(older).toBe(`/admin/audit?type=bulk.&outcome=success&before=${newestFirst[49]}`);
    const second = await admin.page(older ?? '');
    expect(listedIds(second)).toEqual(newestFirst.slice(50, 100));
    expect(linkTo(second, 'Newest events')).toBe('/admin/audit?type=bulk.&outcome=success');
    const third = await admin.page(linkTo(second, 'Older events') ?? '');
    expect(listedIds(third)).toEqual(newestFirst.slice(100));
    expect(linkTo(third, 'Older events')).toBeNull();
  });

  it('shows a script in an event’s actor, type, target or details, or in a filter, as inert text', async () => {
    const [evil] = await seedEvents(app, [{ at: at('2025-03-01T00:00:00Z'), type: 'xss.probe', actor: XSS, subject: XSS, clientId: XSS, ip: XSS, details: { name: XSS, [XSS]: 1 } }]);
    const list = await admin.page('/admin/audit?type=xss.');
    expect(listedIds(list)).toEqual([evil?.id]);
    const echoed = await admin.browser.get(`${app.url}/admin/audit?actor=${encodeURIComponent(XSS)}&type=${encodeURIComponent(XSS)}`);
    expect(echoed.status).toBe(400);
    const byActor = await admin.page(`/admin/audit?actor=${encodeURIComponent(XSS)}`);
    expect(listedIds(byActor)).toEqual([evil?.id]);
    for (const page of [list, echoed, byActor]) {
      expect(page.body).not.toContain('<script');
      expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });

  describe('the JSON-lines export (/admin/audit/export)', () => {
    it('downloads the filtered events as JSON lines, oldest first, uncached', async () => {
      const answer = await admin.browser.get(`${app.url}/admin/audit/export?subject=u-ada`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(answer.headers.get('content-disposition')).toBe(`attachment; filename="gatehouse-audit-${new Date(clock.now()).toISOString().slice(0, 10)}.jsonl"`);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const events = answer.body.trimEnd().split('\n').map(fromExportedLine);
      expect(events.map((e) => e.id)).toEqual((await expectedIds((e) => e.subject === 'u-ada')).reverse());
      expect(events[1]).toEqual(seeded[2]);
    });

    it('is linked from the screen with the filters in use', async () => {
      const page = await admin.page('/admin/audit?type=user.&outcome=success');
      expect(linkTo(page, 'Export as JSON lines')).toBe('/admin/audit/export?type=user.&outcome=success');
    });

    it('downloads the whole log, without filters, as a chain that checks out link by link', async () => {
      const answer = await admin.browser.get(`${app.url}/admin/audit/export`);
      const events = answer.body.trimEnd().split('\n').map(fromExportedLine);
      expect(events).toEqual(await everything());
      const checker = new ChainChecker();
      for (const event of events) expect(checker.check(event)).toBeNull();
      expect(checker.lastHash).toBe((await app.store.audit.head())?.lastHash);
    });

    it('refuses a bad filter with 400', async () => {
      const answer = await admin.browser.get(`${app.url}/admin/audit/export?outcome=maybe`);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-disposition')).toBeNull();
    });
  });

  it('writes nothing to the log when the screen is viewed or exported', async () => {
    const before = await app.store.audit.head();
    await admin.page('/admin/audit?type=user.');
    await admin.page('/admin/audit/export');
    expect(await app.store.audit.head()).toEqual(before);
  });
});

describe('the hash chain status on the audit log screen', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let admin: SignedInAdmin;
  let seeded: AuditEventRecord[];
  const status = async () => /<strong>(Chain [^<]*)<\/strong>/.exec((await admin.page('/admin/audit')).body)?.[1];

  beforeEach(async () => {
    clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
    app = await startApp({ clock });
    admin = await signedInAdmin(app);
    seeded = await seedEvents(
      app,
      ['one', 'two', 'three'].map((name, i) => ({ at: clock.now() + i, type: 'user.created', actor: 'cli', subject: name, ip: null, details: { name } })),
    );
  });
  afterEach(() => app?.stop());

  async function intactSummary(): Promise<string> {
    const events = await app.store.audit.chain(0, 10_000);
    return `Chain intact: ${events.length} events, last #${events[events.length - 1]?.id}, not keyed`;
  }

  it('says the chain is intact, and when it was checked', async () => {
    const page = await admin.page('/admin/audit');
    expect(page.body).toContain(`<strong>${await intactSummary()}</strong>`);
    expect(page.body).toMatch(/· checked \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(page.body).not.toContain('panel danger');
  });

  it('shows an event edited after it was checked in red at the next whole walk, within the hour', async () => {
    const intact = await intactSummary();
    expect(await status()).toBe(intact);
    const edited = seeded[1]?.id;
    await rawSql(app, 'UPDATE audit_events SET actor = ? WHERE id = ?', ['someone-else', edited]);
    // The same head as at the last check, less than a minute ago: the cached result stands.
    clock.advance(59_000);
    expect(await status()).toBe(intact);
    // Checked again from where the last walk ended: nothing after it, the head unchanged.
    clock.advance(2_000);
    expect(await status()).toBe(intact);
    clock.advance(60 * 60_000);
    const page = await admin.page('/admin/audit');
    expect(page.body).toContain(`<strong>Chain broken at event #${edited}: event #${edited} was changed after it was written: its fields no longer match its hash</strong>`);
    expect(page.body).toMatch(/<section class="panel danger chain-status"[^>]*role="alert"/);
  });

  it('checks new events at once when they moved the head, reading only them (issue 20)', async () => {
    expect(await status()).toBe(await intactSummary());
    const [fourth] = await seedEvents(app, [{ at: clock.now(), type: 'user.created', actor: 'cli', subject: 'four', ip: null, details: {} }]);
    await rawSql(app, 'UPDATE audit_events SET actor = ? WHERE id = ?', ['someone-else', fourth?.id]);
    expect(await status()).toBe(`Chain broken at event #${fourth?.id}: event #${fourth?.id} was changed after it was written: its fields no longer match its hash`);
  });

  it('shows an old event deleted under a new one at the next whole walk, within the hour', async () => {
    expect(await status()).toBe(await intactSummary());
    const deleted = seeded[1]?.id ?? 0;
    await rawSql(app, 'DELETE FROM audit_events WHERE id = ?', [deleted]);
    await app.store.audit.append({ at: clock.now(), type: 'user.created', actor: 'cli', subject: 'four', ip: null, details: {} });
    // Read from the last checked event on, the new one links to it.
    expect(await status()).toMatch(/^Chain intact: \d+ events/);
    clock.advance(60 * 60_000);
    expect(await status()).toMatch(new RegExp(`^Chain broken at event #${seeded[2]?.id}: event #${seeded[2]?.id} does not link to event #${seeded[0]?.id}`));
  });
});
