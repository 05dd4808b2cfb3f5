// The pieces of src/metrics/ on their own: route names (never paths) for the request counters, who may scrape,
// the counters read off audit events, the store's timing proxy on a real SQLite store, and the key gauges.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAuditEvent } from '../../src/metrics/audit-tap.js';
import { scrapeAccess } from '../../src/metrics/exposition.js';
import { routeNameOf } from '../../src/metrics/http-metrics.js';
import { instrumentStore } from '../../src/metrics/instrument-store.js';
import { keyRegistry } from '../../src/metrics/key-gauges.js';
import { registry } from '../../src/metrics/metrics.js';
import { computeSchedule, type KeyFacts } from '../../src/signing/key-schedule.js';
import type { NewAuditEvent } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { parseSamples, valueOf, type Samples } from '../http/metrics-helpers.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const HOUR = 3_600_000;
const samples = async (): Promise<Samples> => parseSamples(await registry.metrics());

describe('routeNameOf: the route label', () => {
  it('names the route a path is, or lies under, longest first; the query is not part of it', () => {
    const cases: [string, string][] = [
      ['/', 'home'],
      ['/token', 'token'],
      ['/token?grant_type=x', 'token'],
      ['/login', 'login'],
      ['/login/second-factor?request=abc', 'secondFactor'],
      ['/login/passkey/options', 'passkeySignInOptions'],
      ['/admin/users/3f9a', 'admin'],
      ['/federation/github/callback', 'federation'],
      ['/register/client-123', 'registration'],
      ['/.well-known/openid-configuration', 'discovery'],
      ['/api/v1/users/abc', 'managementApi'],
      ['/metrics', 'metrics'],
    ];
    for (const [url, name] of cases) expect(routeNameOf('', url), url).toBe(name);
  });

  it('calls anything else `other`: unknown paths, look-alike prefixes, paths outside the base path, no URL', () => {
    for (const url of ['/tokens', '/token.json', '/adminx', '/ada@example.com', '/.well-known/other', '', '//token']) expect(routeNameOf('', url), url).toBe('other');
    expect(routeNameOf('', undefined)).toBe('other');
  });

  it('reads paths below the base path', () => {
    expect(routeNameOf('/idp', '/idp')).toBe('home');
    expect(routeNameOf('/idp', '/idp/')).toBe('home');
    expect(routeNameOf('/idp', '/idp/token')).toBe('token');
    expect(routeNameOf('/idp', '/token')).toBe('other');
    expect(routeNameOf('/idp', '/idpx/token')).toBe('other');
  });
});

describe('scrapeAccess: who may scrape', () => {
  const token = 'c2VjcmV0LXNjcmFwZS10b2tlbi0wMTIzNDU2Nzg5YWJj';

  it('lets everyone through without METRICS_TOKEN (only the loopback listener serves then)', () => {
    expect(scrapeAccess(null)(undefined)).toBe('allowed');
  });

  it('takes exactly `Bearer <token>` (the scheme in any case), and tells missing from wrong', () => {
    const access = scrapeAccess(token);
    expect(access(`Bearer ${token}`)).toBe('allowed');
    expect(access(`BEARER  ${token} `)).toBe('allowed');
    expect(access(undefined)).toBe('missing');
    expect(access('')).toBe('missing');
    for (const header of [`Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token, `Bearer`, `Bearer ${token} extra`, `Bearer\t${token}`, `xBearer ${token}`]) {
      expect(access(header), header).toBe('invalid');
    }
  });
});

describe('countAuditEvent: counters read off the audit log', () => {
  const event = (type: string, details: Record<string, unknown> = {}, outcome?: 'success' | 'failure'): NewAuditEvent => ({
    at: NOW,
    type,
    actor: 'x',
    subject: null,
    ip: null,
    details,
    ...(outcome ? { outcome } : {}),
  });
  const signIns = (all: Samples) =>
    Object.fromEntries(
      ['password', 'passkey', 'federated', 'second_factor'].flatMap((method) =>
        ['success', 'failure'].map((outcome) => [`${method}:${outcome}`, valueOf(all, `gatehouse_sign_ins_total{method="${method}",outcome="${outcome}"}`)]),
      ),
    );

  it('counts a sign-in under its first factor, its second factor apart, and a refused step under its method', async () => {
    const before = signIns(await samples());
    const reuseBefore = valueOf(await samples(), 'gatehouse_refresh_token_reuse_detected_total');
    countAuditEvent(event('signin.succeeded', { sid: 's', amr: ['pwd'] }));
    countAuditEvent(event('signin.succeeded', { sid: 's', amr: ['pwd', 'otp', 'mfa'] }));
    countAuditEvent(event('signin.succeeded', { sid: 's', amr: ['hwk', 'mfa'] }));
    countAuditEvent(event('signin.succeeded', { sid: 's', amr: ['swk', 'mfa'] }));
    countAuditEvent(event('signin.succeeded', { sid: 's', amr: ['fed', 'hwk', 'mfa'] }));
    countAuditEvent(event('signin.failed', { reason: 'wrong_password' }, 'failure'));
    countAuditEvent(event('signin.failed', { reason: 'unknown_account' }, 'failure'));
    countAuditEvent(event('signin.failed', { reason: 'directory_unavailable', provider: 'ldap' }, 'failure'));
    countAuditEvent(event('signin.failed', { reason: 'wrong_second_factor' }, 'failure'));
    countAuditEvent(event('signin.failed', { reason: 'second_factor_missing' }, 'failure'));
    countAuditEvent(event('signin.failed', { reason: 'passkey_refused' }, 'failure'));
    countAuditEvent(event('signin.federated', { provider: 'github', reason: 'access_denied' }, 'failure'));
    // An upstream's success starts a sign-in, counted when it completes; other events count nothing here.
    countAuditEvent(event('signin.federated', { provider: 'github', amr: ['fed'] }, 'success'));
    countAuditEvent(event('signin.throttled', { by: 'account' }, 'failure'));
    countAuditEvent(event('signin.succeeded', { sid: 's' }));
    countAuditEvent(event('user.created'));
    countAuditEvent(event('refresh_token.reused', {}, 'failure'));
    const after = signIns(await samples());
    const moved = Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - (before[key] ?? 0)]));
    expect(moved).toEqual({
      'password:success': 2,
      'password:failure': 3,
      'passkey:success': 2,
      'passkey:failure': 1,
      'federated:success': 1,
      'federated:failure': 1,
      'second_factor:success': 1,
      'second_factor:failure': 2,
    });
    expect(valueOf(await samples(), 'gatehouse_refresh_token_reuse_detected_total') - reuseBefore).toBe(1);
  });
});

describe('instrumentStore on a real SQLite store', () => {
  const { dir, remove } = tempDir();
  let raw: Store;
  let store: Store;
  const count = async (operation: string) => valueOf(await samples(), `gatehouse_store_operation_duration_seconds_count{operation="${operation}"}`);

  beforeAll(() => {
    raw = openSqliteStore({ file: path.join(dir, 'gatehouse.db'), synchronous: 'NORMAL' });
    store = instrumentStore(raw);
  });
  afterAll(async () => {
    await raw.close();
    remove();
  });

  it('times each repository call under repository.method, and answers what the store answers', async () => {
    const before = await count('users.findByEmail');
    expect(await store.users.findByEmail('nobody@example.com')).toBeNull();
    expect(await store.users.findByEmail('nobody@example.com')).toBeNull();
    expect((await count('users.findByEmail')) - before).toBe(2);
    const pings = await count('store.ping');
    await store.ping();
    expect((await count('store.ping')) - pings).toBe(1);
    // The same wrapper each time, and instrumenting twice times nothing twice.
    expect(store.users.findByEmail).toBe(store.users.findByEmail);
    expect(instrumentStore(store)).toBe(store);
  });

  it('counts a stored audit event once, timed, and passes its record back', async () => {
    const appends = await count('audit.append');
    const failures = valueOf(await samples(), 'gatehouse_sign_ins_total{method="password",outcome="failure"}');
    const record = await store.audit.append({ at: NOW, type: 'signin.failed', actor: 'anonymous', subject: null, ip: null, outcome: 'failure', details: { reason: 'wrong_password' } });
    expect(record).toMatchObject({ type: 'signin.failed', outcome: 'failure' });
    expect((await count('audit.append')) - appends).toBe(1);
    expect(valueOf(await samples(), 'gatehouse_sign_ins_total{method="password",outcome="failure"}') - failures).toBe(1);
  });

  it('passes a failure through unchanged, timed, and counts nothing for an event that was not stored', async () => {
    const other = openSqliteStore({ file: path.join(dir, 'closed.db'), synchronous: 'NORMAL' });
    const closed = instrumentStore(other);
    await other.close();
    const appends = await count('audit.append');
    const failures = valueOf(await samples(), 'gatehouse_sign_ins_total{method="password",outcome="failure"}');
    const direct = await Promise.resolve()
      .then(() => other.audit.append({ at: NOW, type: 'signin.failed', actor: 'a', subject: null, ip: null, outcome: 'failure', details: { reason: 'wrong_password' } }))
      .catch((error: unknown) => error);
    const proxied = await Promise.resolve()
      .then(() => closed.audit.append({ at: NOW, type: 'signin.failed', actor: 'a', subject: null, ip: null, outcome: 'failure', details: { reason: 'wrong_password' } }))
      .catch((error: unknown) => error);
    expect(proxied).toBeInstanceOf(Error);
    expect((proxied as Error).message).toBe((direct as Error).message);
    expect(valueOf(await samples(), 'gatehouse_sign_ins_total{method="password",outcome="failure"}') - failures).toBe(0);
    expect((await count('audit.append')) - appends).toBe(1);
  });
});

describe('keyRegistry: the key gauges', () => {
  const facts = (kid: string, createdAt: number, activatedAt: number, extra: Partial<KeyFacts> = {}): KeyFacts => ({ kid, createdAt, activatedAt, retiredAt: null, revokedAt: null, ...extra });
  const gauges = async (keys: KeyFacts[], now: number) => parseSamples(await keyRegistry({ schedule: computeSchedule(keys, now, 24 * HOUR) }, { now: () => now }).metrics());

  it('reads the nearest pending activation and the oldest key still in the JWKS', async () => {
    const keys = [
      facts('old', NOW - 240 * HOUR, NOW - 240 * HOUR),
      facts('active', NOW - 48 * HOUR, NOW - 12 * HOUR),
      facts('later', NOW - HOUR, NOW + 5 * HOUR),
      facts('next', NOW - HOUR, NOW + 2 * HOUR),
    ];
    const read = await gauges(keys, NOW);
    expect(read.get('gatehouse_signing_key_next_activation_seconds')).toBe(7200);
    // `old` was superseded 12 hours ago and stays published for the 24-hour retirement delay.
    expect(read.get('gatehouse_signing_key_oldest_published_age_seconds')).toBe(240 * 3600);
  });

  it('leaves the next activation absent when no key is pending, and skips retired and revoked keys', async () => {
    const keys = [
      facts('retired', NOW - 240 * HOUR, NOW - 240 * HOUR, { retiredAt: NOW - HOUR }),
      facts('revoked', NOW - 30 * HOUR, NOW - 30 * HOUR, { revokedAt: NOW - 20 * HOUR }),
      facts('active', NOW - 10 * HOUR, NOW - 10 * HOUR),
    ];
    const read = await gauges(keys, NOW);
    expect(read.has('gatehouse_signing_key_next_activation_seconds')).toBe(false);
    expect(read.get('gatehouse_signing_key_oldest_published_age_seconds')).toBe(10 * 3600);
  });
});
