// How Gatehouse reaches a directory (issue 23): TLS (StartTLS required on ldap://, the administrator's CA, ldaps://),
// and failing closed with DirectoryUnavailable when the directory is down, slow, or cannot prove who it is.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { secretBox, type SecretBox } from '../../src/auth/secret-box.js';
import { DirectoryUnavailable } from '../../src/errors.js';
import { createDirectories } from '../../src/federation/directories.js';
import type { Directory } from '../../src/federation/federation.js';
import { LdapDirectory } from '../../src/federation/ldap.js';
import type { LdapSettings } from '../../src/federation/provider-settings.js';
import type { IdentityProviderRecord } from '../../src/store/records.js';
import { providerRecord } from '../helpers/federation-fixtures.js';
import { ldapSettingsFor, makeCa, silentServer, startSlapd, tcpProxy, type Slapd } from '../helpers/slapd.js';
import { tempDir } from '../helpers/temp-dir.js';

let slapd: Slapd;
let plainSlapd: Slapd;
let otherCa: string;
let box: SecretBox;
let directories: ReturnType<typeof createDirectories>;
let version = 1;
const scratch = tempDir();

beforeAll(async () => {
  [slapd, plainSlapd] = await Promise.all([startSlapd(), startSlapd({ tls: false })]);
  otherCa = (await makeCa(path.join(scratch.dir, 'other'), 'Some Other CA')).pem;
  box = secretBox(randomBytes(32));
  directories = createDirectories({ timeoutMs: 5000, secretBox: async () => box });
});

afterAll(async () => {
  await directories?.close();
  await Promise.all([slapd?.stop(), plainSlapd?.stop()]);
  scratch.remove();
});

function row(settings: LdapSettings, servicePassword: string): IdentityProviderRecord {
  version += 1;
  return providerRecord(box, { slug: 'corp', kind: 'ldap', name: 'Corp Directory', settings, secret: servicePassword, updatedAt: version });
}

function directoryOf(target: Slapd, overrides: Partial<LdapSettings> = {}): Promise<Directory> {
  return directories.directoryFor(row(ldapSettingsFor(target, overrides), target.servicePassword));
}

async function signsInAlice(directory: Directory): Promise<void> {
  const check = await directory.authenticate(slapd.users.alice.email, slapd.users.alice.password);
  expect(check.outcome).toBe('authenticated');
}

/** The error of a check that must fail closed, and proof that no password is in it. */
async function unavailable(directory: Directory): Promise<DirectoryUnavailable> {
  const error = await directory.authenticate(slapd.users.alice.email, slapd.users.alice.password).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(DirectoryUnavailable);
  const failure = error as DirectoryUnavailable;
  expect(failure.status).toBe(503);
  expect(failure.message).toBe('The directory Corp Directory is not answering. Try again later.');
  const text = `${failure.message} ${failure.detail} ${failure.stack}`;
  expect(text).not.toContain(slapd.users.alice.password);
  expect(text).not.toContain(slapd.servicePassword);
  return failure;
}

describe('TLS', () => {
  test('StartTLS with the administrator CA works', async () => {
    await signsInAlice(await directoryOf(slapd));
  });

  test('ldaps:// with the CA works', async () => {
    await signsInAlice(await directoryOf(slapd, { url: slapd.ldapsUrl!, startTls: false }));
  });

  test('StartTLS required: a directory that cannot start TLS is unavailable, never used in plain text', async () => {
    const relay = await tcpProxy(Number(new URL(plainSlapd.url).port));
    try {
      const failure = await unavailable(await directoryOf(plainSlapd, { url: `ldap://127.0.0.1:${relay.port}`, ca: null }));
      expect(failure.detail).toMatch(/extended operation|StartTLS|TLS/i);
      // Nothing but the StartTLS request was sent: no bind DN, no search.
      const sent = Buffer.concat(relay.fromClients).toString('latin1');
      expect(sent).toContain('1.3.6.1.4.1.1466.20037');
      expect(sent).not.toContain(plainSlapd.serviceDn);
      expect(sent).not.toContain('alice@example.org');
    } finally {
      await relay.stop();
    }
  });

  test('plain ldap:// is used only when StartTLS is explicitly off', async () => {
    await signsInAlice(await directoryOf(plainSlapd, { startTls: false, ca: null }));
  });

  test('a certificate that does not chain to the configured CA: unavailable (StartTLS and ldaps://)', async () => {
    await unavailable(await directoryOf(slapd, { ca: otherCa }));
    await unavailable(await directoryOf(slapd, { url: slapd.ldapsUrl!, startTls: false, ca: otherCa }));
  });

  test('no CA configured: the system CAs do not know the throw-away CA, so it is unavailable', async () => {
    await unavailable(await directoryOf(slapd, { ca: null }));
  });

  test('a connection the directory dropped is replaced by a new StartTLS one, never reconnected in plain text', async () => {
    const relay = await tcpProxy(Number(new URL(slapd.url).port));
    try {
      const directory = await directoryOf(slapd, { url: `ldap://127.0.0.1:${relay.port}` });
      await signsInAlice(directory);
      relay.dropAll();
      // Let the close reach this process (bounded).
      for (let attempt = 0; attempt < 100 && relay.active > 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await signsInAlice(directory);
      expect(relay.total).toBe(2);
      const sent = Buffer.concat(relay.fromClients).toString('latin1');
      expect(sent).not.toContain(slapd.users.alice.password);
      expect(sent).not.toContain(slapd.servicePassword);
    } finally {
      await relay.stop();
    }
  });
});

describe('failing closed', () => {
  test('a directory that has stopped: DirectoryUnavailable', async () => {
    const doomed = await startSlapd();
    try {
      const directory = await directoryOf(doomed);
      expect((await directory.authenticate(doomed.users.alice.email, doomed.users.alice.password)).outcome).toBe('authenticated');
      await doomed.stop();
      // The pooled connection is gone; a new one is refused.
      const failure = await unavailable(directory);
      expect(failure.detail).toMatch(/ECONNREFUSED|closed/);
    } finally {
      await doomed.stop();
    }
  });

  test('nothing listening at all: DirectoryUnavailable', async () => {
    const { port } = await silentServer().then(async (server) => {
      await server.stop();
      return server;
    });
    await unavailable(await directoryOf(slapd, { url: `ldap://127.0.0.1:${port}` }));
  });

  test.each([
    ['ldap:// with StartTLS', 'ldap', true],
    ['ldap:// in plain text', 'ldap', false],
    ['ldaps://', 'ldaps', false],
  ] as const)('a directory that accepts and never answers (%s): DirectoryUnavailable within the timeout', async (_name, scheme, startTls) => {
    const silent = await silentServer();
    const directory = new LdapDirectory({
      slug: 'corp',
      name: 'Corp Directory',
      settings: ldapSettingsFor(slapd, { url: `${scheme}://127.0.0.1:${silent.port}`, startTls }),
      bindPassword: slapd.servicePassword,
      timeoutMs: 300,
    });
    try {
      await unavailable(directory);
      await expect(directory.findByEmail('alice@example.org')).rejects.toBeInstanceOf(DirectoryUnavailable);
      expect(silent.connections).toBeGreaterThan(0);
    } finally {
      await directory.close();
      await silent.stop();
    }
  });

  test('a burst against a hung directory: every check fails closed, the queued ones included', async () => {
    const silent = await silentServer();
    const directory = new LdapDirectory({
      slug: 'corp',
      name: 'Corp Directory',
      settings: ldapSettingsFor(slapd, { url: `ldap://127.0.0.1:${silent.port}` }),
      bindPassword: slapd.servicePassword,
      timeoutMs: 300,
    });
    try {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => directory.authenticate('alice@example.org', 'pw')));
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(DirectoryUnavailable);
      }
    } finally {
      await directory.close();
      await silent.stop();
    }
  });
});
