// `idp export` then `idp import` carry issue 23's data: the upstream providers and directories (settings, CA
// certificates, flags) with their secrets re-sealed (the source's secrets key → TRANSFER_KEY → the target's, as TOTP
// secrets travel), the identities linked to accounts, and accounts without a password of their own. Sign-ins through
// a provider in progress are not moved. Real `idp` processes; the source is SQLite, the targets SQLite (its own new
// secrets.key) and (with TEST_DATABASE_URL) PostgreSQL (KEY_ENCRYPTION_KEY), read back through the Store.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox, type SecretBox } from '../../src/auth/secret-box.js';
import { systemClock } from '../../src/clock.js';
import { providerSecretAad } from '../../src/federation/provider-settings.js';
import { createProvider, type ProviderContext } from '../../src/manage/providers.js';
import type { Store } from '../../src/store/store.js';
import { CA_PEM, LDAP_INPUT, LDAP_PASSWORD, OAUTH2_INPUT, OAUTH2_SECRET, OIDC_INPUT, OIDC_SECRET } from '../cli/provider-fixtures.js';
import { runIdpJson, toolStore, type TestEngine, type ToolStore } from '../helpers/cli-store.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';
import { runIdp } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { newUser } from '../store/engines.js';

const TRANSFER_KEY = Buffer.alloc(32, 7).toString('base64');
const targets: TestEngine[] = TEST_DATABASE_URL ? ['postgres', 'sqlite'] : ['sqlite'];
const USERS = ['u-ada', 'u-jit'];
const SECRETS: Record<string, string> = { acme: OIDC_SECRET, github: OAUTH2_SECRET, corp: LDAP_PASSWORD };

/** Everything issue 23 keeps that moves, as the Store answers for it (the sealed secrets apart: they differ by key). */
async function federationData(store: Store) {
  return {
    providers: (await store.identityProviders.list()).map(({ secret, ...provider }) => ({ ...provider, hasSecret: secret !== null })),
    identities: await Promise.all(USERS.map((id) => store.federatedIdentities.listForUser(id))),
    users: (await Promise.all(USERS.map((id) => store.users.findById(id)))).map((user) => [user?.id, user?.hasPassword]),
  };
}

async function openedSecrets(store: Store, box: SecretBox): Promise<Record<string, string>> {
  const opened: Record<string, string> = {};
  for (const provider of await store.identityProviders.list()) opened[provider.slug] = box.open(provider.secret ?? '', providerSecretAad(provider.slug));
  return opened;
}

describe('idp export and idp import with identity providers and linked identities', () => {
  let source: ToolStore;
  let files: { dir: string; remove: () => void };
  let dump: string;
  let expected: Awaited<ReturnType<typeof federationData>>;
  let sourceBox: SecretBox;

  beforeAll(async () => {
    files = tempDir();
    source = await toolStore('sqlite');
    sourceBox = await openSecretBox(source.config);
    await source.withStore(async (store) => {
      const ctx: ProviderContext = { store, clock: systemClock, passwordMinLength: 8, actor: 'test', secretBox: () => Promise.resolve(sourceBox) };
      await store.users.create(newUser('u-ada', 'ada@example.com'), Date.now());
      await store.users.create(newUser('u-jit', 'jit@acme.example', { hasPassword: false }), Date.now());
      await createProvider(ctx, { ...OIDC_INPUT, jit: true, allowedDomains: ['acme.example'], trustEmail: true, groupsMode: 'merge', claims: { groups: 'groups' } });
      await createProvider(ctx, { ...OAUTH2_INPUT, slug: 'github', enabled: false, buttonLabel: 'GitHub', iconUrl: 'https://github.example/i.svg' });
      await createProvider(ctx, { ...LDAP_INPUT, slug: 'corp', url: 'ldaps://dc.corp.example', ca: CA_PEM, passwordResetUrl: 'https://password.corp.example' });
      const linkedAt = Date.parse('2026-01-02T03:04:05Z');
      await store.federatedIdentities.link({ providerSlug: 'acme', subject: 'sub-jit', userId: 'u-jit', email: 'jit@acme.example', createdAt: linkedAt });
      await store.federatedIdentities.touch('acme', 'sub-jit', 'jit@acme.example', linkedAt + 60_000);
      await store.federatedIdentities.link({ providerSlug: 'corp', subject: 'entry-uuid-ada', userId: 'u-ada', email: null, createdAt: linkedAt });
      await store.federatedIdentities.link({ providerSlug: 'github', subject: '12345', userId: 'u-ada', email: 'ada@users.github.example', createdAt: linkedAt });
      // A sign-in in progress: not moved.
      await store.federationStates.create({
        idHash: 'state-hash',
        kind: 'login',
        providerSlug: 'acme',
        browserHash: 'browser-hash',
        userId: null,
        value: 'sealed',
        createdAt: Date.now(),
        expiresAt: Date.now() + 600_000,
      });
      expect(await openedSecrets(store, sourceBox)).toEqual(SECRETS);
    });
    expected = await source.withStore(federationData);
    // What the source holds is what was set up: the comparison below is not between two empty stores.
    expect(expected.providers.map((provider) => provider.slug)).toEqual(['acme', 'corp', 'github']);
    expect(expected.identities.map((identities) => identities.length)).toEqual([2, 1]);
    expect(expected.identities[1]?.[0]?.lastUsedAt).toBe(Date.parse('2026-01-02T03:05:05Z'));
    dump = path.join(files.dir, 'gatehouse.jsonl');
    expect(await runIdpJson(['export', '--output', dump, '--json'], { ...source.env, TRANSFER_KEY })).toMatchObject({ rows: { identity_providers: 3, federated_identities: 3 } });
  });

  afterAll(async () => {
    await source?.drop();
    files?.remove();
  });

  it('carries every secret sealed under TRANSFER_KEY, never in clear nor as the source sealed it; no sign-in in progress', async () => {
    const text = readFileSync(dump, 'utf8');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    const rows = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { table?: string; row?: Record<string, unknown> });
    const providers = rows.filter((line) => line.table === 'identity_providers').map((line) => line.row ?? {});
    const stored = await source.withStore((store) => store.identityProviders.list());
    for (const row of providers) {
      expect(row.secret).not.toBe(stored.find((provider) => provider.slug === row.slug)?.secret);
      expect(() => sourceBox.open(String(row.secret), providerSecretAad(String(row.slug)))).toThrow();
    }
    expect(rows.some((line) => line.table === 'federation_states')).toBe(false);
  });

  describe.each(targets)('import into %s', (engine) => {
    let target: ToolStore;
    beforeAll(async () => {
      target = await toolStore(engine);
      expect(await runIdpJson(['import', '--input', dump, '--json'], { ...target.env, TRANSFER_KEY })).toMatchObject({ rows: { identity_providers: 3, federated_identities: 3 } });
    });
    afterAll(async () => {
      await target?.drop();
    });

    it('holds the same providers, settings, linked identities and password-less accounts', async () => {
      expect(await target.withStore(federationData)).toEqual(expected);
    });

    it("opens every provider's secret with the target's own secrets key, which is not the source's", async () => {
      const targetBox = await openSecretBox(target.config);
      expect(await target.withStore((store) => openedSecrets(store, targetBox))).toEqual(SECRETS);
      await expect(target.withStore((store) => openedSecrets(store, sourceBox))).rejects.toThrow(/cannot be decrypted/);
      expect(await target.withStore((store) => store.federationStates.findLiveLink('browser-hash', 'u-ada', Date.now()))).toBeNull();
    });

    it('the tools read the moved data: the provider shows, the person lists their identities', async () => {
      const shown = await runIdp(['provider', 'show', 'corp', '--json'], target.env);
      expect(shown.code, shown.stderr).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ kind: 'ldap', hasSecret: true, linked: 1, settings: { url: 'ldaps://dc.corp.example', startTls: false, ca: `${CA_PEM.trim()}\n` } });
      const user = await runIdp(['user', 'show', 'u-ada', '--json'], target.env);
      expect(JSON.parse(user.stdout)).toMatchObject({
        identities: [
          { provider: 'corp', subject: 'entry-uuid-ada' },
          { provider: 'github', subject: '12345' },
        ],
      });
    });
  });

  it('refuses a whole import whose provider secret does not open, naming the provider, writing nothing', async () => {
    const altered = path.join(files.dir, 'altered.jsonl');
    const lines = readFileSync(dump, 'utf8').split('\n');
    const index = lines.findIndex((line) => line.includes('"table":"identity_providers"') && line.includes('"slug":"github"'));
    const line = JSON.parse(lines[index] ?? '{}') as { table: string; row: Record<string, unknown> };
    // The github secret moved onto the acme row: sealed for another slug, it must not open there.
    const acme = JSON.parse(lines.find((l) => l.includes('"table":"identity_providers"') && l.includes('"slug":"acme"')) ?? '{}') as { row: Record<string, unknown> };
    lines[lines.indexOf(JSON.stringify(acme))] = JSON.stringify({ ...acme, row: { ...acme.row, secret: line.row.secret } });
    writeFileSync(altered, lines.join('\n'));
    const target = await toolStore('sqlite');
    try {
      const imported = await runIdp(['import', '--input', altered], { ...target.env, TRANSFER_KEY });
      expect(imported.code).toBe(1);
      expect(imported.stderr).toMatch(/^idp: the secret of identity provider acme cannot be decrypted: TRANSFER_KEY is not the key the export was made with, or the file was altered\n$/);
      expect(await target.withStore((store) => store.identityProviders.list())).toEqual([]);
      expect(await target.withStore((store) => store.users.findById('u-ada'))).toBeNull();
    } finally {
      await target.drop();
    }
  });
});
