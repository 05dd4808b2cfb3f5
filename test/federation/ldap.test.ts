// The LDAP directory (issue 23) against a real OpenLDAP slapd (test/helpers/slapd.ts): service search, the
// person's bind, the entry mapping and groups, refusals, filter injection, and the bounded connection pool.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secretBox, type SecretBox } from '../../src/auth/secret-box.js';
import { DirectoryUnavailable, ValidationError } from '../../src/errors.js';
import { createDirectories } from '../../src/federation/directories.js';
import type { DirectoryCheck } from '../../src/federation/federation.js';
import type { LdapSettings } from '../../src/federation/provider-settings.js';
import type { IdentityProviderRecord } from '../../src/store/records.js';
import { providerRecord } from '../helpers/federation-fixtures.js';
import { ldapSettingsFor, startSlapd, tcpProxy, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
let box: SecretBox;
const warnings: unknown[] = [];
let directories: ReturnType<typeof createDirectories>;
let version = 1;

beforeAll(async () => {
  slapd = await startSlapd();
  box = secretBox(randomBytes(32));
  directories = createDirectories({ timeoutMs: 5000, secretBox: async () => box, logger: { warn: (...args: unknown[]) => void warnings.push(args) } as never });
});

afterAll(async () => {
  await directories?.close();
  await slapd?.stop();
});

/** A provider row for this slapd; each call is a new row version (a fresh directory and pool). */
function provider(overrides: Partial<LdapSettings> = {}, servicePassword = slapd.servicePassword, slug = 'corp'): IdentityProviderRecord {
  version += 1;
  return providerRecord(box, { slug, kind: 'ldap', name: 'Corp Directory', settings: ldapSettingsFor(slapd, overrides), secret: servicePassword, updatedAt: version });
}

function authenticated(check: DirectoryCheck) {
  if (check.outcome !== 'authenticated') throw new Error(`expected authenticated, got ${JSON.stringify(check)}`);
  return check.entry;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('signing in with a directory password', () => {
  test('alice: subject is her entryUUID, email and displayName mapped, groups from the group base', async () => {
    const directory = await directories.directoryFor(provider());
    const entry = authenticated(await directory.authenticate('alice@example.org', slapd.users.alice.password));
    expect(entry.dn).toBe(slapd.users.alice.dn);
    expect(entry.subject).toMatch(UUID);
    expect(entry).toMatchObject({ email: 'alice@example.org', name: 'Alice L.', locked: false });
    expect([...entry.groups].sort()).toEqual(['admins', 'engineers']);
    // The same person found again is the same subject (stable id, not the DN).
    expect((await directory.findByEmail('ALICE@example.org'))?.subject).toBe(entry.subject);
  });

  test('groups from memberOf (filled by the memberof overlay) when it is mapped and there is no group base', async () => {
    const directory = await directories.directoryFor(provider({ groupBase: null, attributes: { email: 'mail', name: 'displayName', memberOf: 'memberOf' } }));
    const entry = authenticated(await directory.authenticate('alice@example.org', slapd.users.alice.password));
    expect([...entry.groups].sort()).toEqual(['admins', 'engineers']);
  });

  test('no group base and no memberOf mapping: no groups', async () => {
    const directory = await directories.directoryFor(provider({ groupBase: null }));
    expect(authenticated(await directory.authenticate('alice@example.org', slapd.users.alice.password)).groups).toEqual([]);
  });

  test('bob: the name falls back to cn; a groupOfUniqueNames is found by uniqueMember', async () => {
    const directory = await directories.directoryFor(provider());
    const entry = authenticated(await directory.authenticate('bob@example.org', slapd.users.bob.password));
    expect(entry.name).toBe('Bob Builder');
    expect([...entry.groups].sort()).toEqual(['auditors', 'engineers']);
  });

  test('a DN with parentheses is escaped in the group search (RFC 4515)', async () => {
    const directory = await directories.directoryFor(provider());
    const entry = authenticated(await directory.authenticate('dan@example.org', slapd.users.dan.password));
    expect(entry.dn).toBe(slapd.users.dan.dn);
    expect(entry.groups).toEqual(['engineers']);
  });

  test('a wrong password is refused (wrong_password), with the entry for the audit', async () => {
    const directory = await directories.directoryFor(provider());
    const check = await directory.authenticate('alice@example.org', 'not-her-password');
    expect(check).toMatchObject({ outcome: 'refused', reason: 'wrong_password', entry: { dn: slapd.users.alice.dn } });
    // The connection the failed bind used serves the next person (bound again as the service account).
    authenticated(await directory.authenticate('bob@example.org', slapd.users.bob.password));
  });

  test('a locked entry (ppolicy pwdAccountLockedTime) is refused as locked, even with the right password', async () => {
    const directory = await directories.directoryFor(provider());
    expect(await directory.authenticate('carol@example.org', slapd.users.carol.password)).toMatchObject({ outcome: 'refused', reason: 'locked' });
    expect(await directory.authenticate('carol@example.org', 'wrong')).toMatchObject({ outcome: 'refused', reason: 'locked' });
    expect(await directory.findByEmail('carol@example.org')).toMatchObject({ dn: slapd.users.carol.dn, locked: true });
  });

  test('an unknown email is not_found (findByEmail: null)', async () => {
    const directory = await directories.directoryFor(provider());
    expect(await directory.authenticate('nobody@example.org', 'whatever')).toEqual({ outcome: 'not_found' });
    expect(await directory.authenticate('', 'whatever')).toEqual({ outcome: 'not_found' });
    expect(await directory.findByEmail('nobody@example.org')).toBeNull();
  });

  test('two entries for one email: not_found, and the misconfiguration is logged', async () => {
    const directory = await directories.directoryFor(provider());
    warnings.length = 0;
    expect(await directory.authenticate('twin@example.org', slapd.users.twin.password)).toEqual({ outcome: 'not_found' });
    expect(await directory.findByEmail('twin@example.org')).toBeNull();
    expect(warnings).toHaveLength(2);
    expect(JSON.stringify(warnings)).not.toContain(slapd.users.twin.password);
  });

  test.each(['*', '*)(mail=*', 'alice@example.org)(|(mail=*', '*@example.org', 'alice@example.org)(objectClass=*', 'a*'])(
    'filter injection: %j finds nobody and signs nobody in',
    async (email) => {
      const directory = await directories.directoryFor(provider());
      expect(await directory.authenticate(email, slapd.users.alice.password)).toEqual({ outcome: 'not_found' });
      expect(await directory.findByEmail(email)).toBeNull();
    },
  );

  test('injection through a filter that puts the email inside an OR: still exactly one match or none', async () => {
    const directory = await directories.directoryFor(provider({ userFilter: '(|(mail={email})(uid={email}))' }));
    authenticated(await directory.authenticate('alice@example.org', slapd.users.alice.password));
    expect(await directory.authenticate('alice)(uid=*', slapd.users.alice.password)).toEqual({ outcome: 'not_found' });
  });
});

describe('the empty password', () => {
  test('is refused before any bind of the entry (RFC 4513 §5.1.2 unauthenticated bind)', async () => {
    // Plain ldap:// through a relay that keeps what the client sends, so the requests can be read.
    const relay = await tcpProxy(Number(new URL(slapd.url).port));
    try {
      const directory = await directories.directoryFor(provider({ url: `ldap://127.0.0.1:${relay.port}`, startTls: false, ca: null, groupBase: null }));
      const sent = () => Buffer.concat(relay.fromClients).toString('latin1');
      expect(await directory.authenticate('alice@example.org', '')).toMatchObject({ outcome: 'refused', reason: 'wrong_password', entry: { dn: slapd.users.alice.dn } });
      expect(sent()).toContain('alice@example.org');
      expect(sent()).not.toContain(slapd.users.alice.dn);
      // Control: a non-empty wrong password does bind as her entry.
      expect(await directory.authenticate('alice@example.org', 'x')).toMatchObject({ outcome: 'refused', reason: 'wrong_password' });
      expect(sent()).toContain(slapd.users.alice.dn);
    } finally {
      await relay.stop();
    }
  });
});

describe('a locked entry', () => {
  test('is refused before its bind is even tried (no failed-bind count at the directory)', async () => {
    const relay = await tcpProxy(Number(new URL(slapd.url).port));
    try {
      const directory = await directories.directoryFor(provider({ url: `ldap://127.0.0.1:${relay.port}`, startTls: false, ca: null, groupBase: null }));
      expect(await directory.authenticate('carol@example.org', slapd.users.carol.password)).toMatchObject({ outcome: 'refused', reason: 'locked' });
      const sent = Buffer.concat(relay.fromClients).toString('latin1');
      expect(sent).toContain('carol@example.org');
      expect(sent).not.toContain(slapd.users.carol.dn);
      expect(sent).not.toContain(slapd.users.carol.password);
    } finally {
      await relay.stop();
    }
  });
});

describe('the service account', () => {
  test('refused by the directory: DirectoryUnavailable naming the directory, no password in the error', async () => {
    const directory = await directories.directoryFor(provider({}, 'wrong-service-password'));
    const error = await directory.authenticate('alice@example.org', slapd.users.alice.password).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DirectoryUnavailable);
    const unavailable = error as DirectoryUnavailable;
    expect(unavailable.message).toBe('The directory Corp Directory is not answering. Try again later.');
    expect(unavailable.detail).toContain('service account');
    const text = `${unavailable.message} ${unavailable.detail} ${unavailable.stack}`;
    expect(text).not.toContain('wrong-service-password');
    expect(text).not.toContain(slapd.users.alice.password);
    await expect(directory.findByEmail('alice@example.org')).rejects.toBeInstanceOf(DirectoryUnavailable);
  });
});

describe('the connection pool', () => {
  test('20 concurrent sign-ins all succeed over at most 4 connections', async () => {
    const relay = await tcpProxy(Number(new URL(slapd.url).port));
    try {
      const directory = await directories.directoryFor(provider({ url: `ldap://127.0.0.1:${relay.port}` }));
      const people = [slapd.users.alice, slapd.users.bob, slapd.users.dan];
      const checks = await Promise.all(Array.from({ length: 20 }, (_, index) => directory.authenticate(people[index % 3]!.email, people[index % 3]!.password)));
      for (const check of checks) expect(check.outcome).toBe('authenticated');
      expect(relay.peak).toBeGreaterThan(0);
      expect(relay.peak).toBeLessThanOrEqual(4);
      // Connections are reused, not reopened per sign-in.
      expect(relay.total).toBeLessThanOrEqual(4);
      // Pooled connections stay usable after the burst.
      authenticated(await directory.authenticate('alice@example.org', slapd.users.alice.password));
      expect(relay.total).toBeLessThanOrEqual(4);
    } finally {
      await relay.stop();
    }
  });
});

describe('queueing for a connection', () => {
  test('counts toward the timeout: a check that waited behind a hung one does not get a fresh timeout', async () => {
    const relay = await tcpProxy(Number(new URL(slapd.url).port));
    const own = createDirectories({ timeoutMs: 400, secretBox: async () => box, maxConnections: 1 });
    try {
      const directory = await own.directoryFor(provider({ url: `ldap://127.0.0.1:${relay.port}` }));
      relay.holding = true;
      const first = directory.authenticate('alice@example.org', slapd.users.alice.password).catch((error: unknown) => error);
      const queued = directory.authenticate('bob@example.org', slapd.users.bob.password).catch((error: unknown) => error);
      expect(await first).toBeInstanceOf(DirectoryUnavailable);
      // The directory answers again once the queued check has settled (or 300 ms on, a margin for a loaded machine,
      // within which its time ran out anyway): with a fresh timeout it would then still have time to succeed.
      await Promise.race([queued, new Promise((resolve) => setTimeout(resolve, 300))]);
      relay.resume();
      expect(await queued).toBeInstanceOf(DirectoryUnavailable);
      // The timed-out connection was discarded; its socket closes asynchronously (bounded wait) before the next check.
      for (let attempt = 0; attempt < 200 && relay.active > 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      authenticated(await directory.authenticate('bob@example.org', slapd.users.bob.password));
      expect(relay.peak).toBe(1);
    } finally {
      await own.close();
      await relay.stop();
    }
  });
});

describe('idle connections', () => {
  test('are closed after idleMs, and a later sign-in opens a new one', async () => {
    const relay = await tcpProxy(Number(new URL(slapd.url).port));
    const own = createDirectories({ timeoutMs: 5000, secretBox: async () => box, idleMs: 100 });
    try {
      const directory = await own.directoryFor(provider({ url: `ldap://127.0.0.1:${relay.port}` }));
      authenticated(await directory.authenticate('alice@example.org', slapd.users.alice.password));
      expect(relay.active).toBe(1);
      for (let attempt = 0; attempt < 200 && relay.active > 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(relay.active).toBe(0);
      authenticated(await directory.authenticate('alice@example.org', slapd.users.alice.password));
      expect(relay.total).toBe(2);
    } finally {
      await own.close();
      await relay.stop();
    }
  });
});

describe('createDirectories', () => {
  test('caches a directory per row version; an updated row gets a new one and the old one is closed', async () => {
    const row = provider({}, slapd.servicePassword, 'cached');
    const first = await directories.directoryFor(row);
    expect(await directories.directoryFor({ ...row })).toBe(first);
    authenticated(await first.authenticate('alice@example.org', slapd.users.alice.password));
    const second = await directories.directoryFor({ ...row, updatedAt: row.updatedAt + 1 });
    expect(second).not.toBe(first);
    authenticated(await second.authenticate('alice@example.org', slapd.users.alice.password));
    // The retired directory's pool is closed.
    await new Promise((resolve) => setImmediate(resolve));
    await expect(first.authenticate('alice@example.org', slapd.users.alice.password)).rejects.toBeInstanceOf(DirectoryUnavailable);
  });

  test('refuses a provider that is not a directory', async () => {
    await expect(directories.directoryFor({ ...provider(), kind: 'oidc' })).rejects.toBeInstanceOf(ValidationError);
  });

  test('close() closes every directory', async () => {
    const own = createDirectories({ timeoutMs: 5000, secretBox: async () => box });
    const directory = await own.directoryFor(provider());
    authenticated(await directory.authenticate('alice@example.org', slapd.users.alice.password));
    await own.close();
    await expect(directory.authenticate('alice@example.org', slapd.users.alice.password)).rejects.toBeInstanceOf(DirectoryUnavailable);
  });
});
