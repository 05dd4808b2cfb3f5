// `idp export` then `idp import` carry issue 24's data: third-party and dynamically registered clients (the pages
// they name, their registration access token's hash), what people allowed them (consents, with the time last used),
// and initial access tokens for POST /register with the uses they have left. Real `idp` processes; the source is
// SQLite, the targets SQLite and (with TEST_DATABASE_URL) PostgreSQL, read back through the Store.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrate.js';
import type { Store } from '../../src/store/store.js';
import { toolStore, type TestEngine, type ToolStore } from '../helpers/cli-store.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';
import { runIdp } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { newClient, newRegistrationToken, newUser, T0 } from '../store/engines.js';

const TRANSFER_KEY = Buffer.alloc(32, 9).toString('base64');
const targets: TestEngine[] = TEST_DATABASE_URL ? ['postgres', 'sqlite'] : ['sqlite'];
const USERS = ['u-ada', 'u-lin'];
const CLIENTS = ['first', 'partner', 'registered'];
/** Far in the future: the tokens are live whenever the test runs. */
const LATER = Date.parse('2099-01-01T00:00:00Z');

/** Everything issue 24 keeps, as the Store answers for it. */
async function consentData(store: Store) {
  return {
    clients: await Promise.all(CLIENTS.map((id) => store.clients.findById(id))),
    consents: await Promise.all(USERS.map((id) => store.consents.listForUser(id))),
    tokens: await store.registrationTokens.list(),
  };
}

describe('idp export and idp import with third-party clients, consents and registration tokens', () => {
  let source: ToolStore;
  let files: { dir: string; remove: () => void };
  let dump: string;
  let expected: Awaited<ReturnType<typeof consentData>>;

  beforeAll(async () => {
    files = tempDir();
    source = await toolStore('sqlite');
    await source.withStore(async (store) => {
      for (const id of USERS) await store.users.create(newUser(id, `${id.slice(2)}@example.com`), T0);
      await store.clients.create(newClient('first', 'Our own app'), T0);
      await store.clients.create(newClient('partner', 'Partner ✓', { thirdParty: true, clientUri: 'https://partner.example/', tosUri: 'https://partner.example/terms' }), T0);
      await store.clients.create(
        newClient('registered', 'Someone’s app', {
          thirdParty: true,
          origin: 'dynamic',
          clientUri: 'https://app.example/',
          policyUri: 'https://app.example/privacy?lang=en&x="1"',
          registrationTokenHash: 'hash-of-registration-access-token',
        }),
        T0,
      );
      await store.consents.grant('u-ada', 'partner', ['openid', 'email'], T0 + 1);
      await store.consents.grant('u-ada', 'partner', ['offline_access'], T0 + 2);
      await store.consents.touch('u-ada', 'partner', T0 + 3);
      await store.consents.grant('u-ada', 'registered', ['openid'], T0 + 4);
      await store.consents.grant('u-lin', 'registered', ['openid', 'profile'], T0 + 5);
      await store.registrationTokens.create(newRegistrationToken('rt-three', { usesLeft: 3, expiresAt: LATER }));
      await store.registrationTokens.use('hash-of-rt-three', T0 + 1);
      await store.registrationTokens.create(newRegistrationToken('rt-open', { usesLeft: null, expiresAt: null, createdBy: 'u-ada', createdAt: T0 + 1 }));
    });
    expected = await source.withStore(consentData);
    // What the source holds is what was set up: the comparison below is not between two empty stores.
    expect(expected.clients.map((client) => [client?.clientId, client?.thirdParty, client?.origin])).toEqual([
      ['first', false, 'admin'],
      ['partner', true, 'admin'],
      ['registered', true, 'dynamic'],
    ]);
    expect(expected.consents.map((consents) => consents.map((consent) => [consent.clientId, consent.scopes]))).toEqual([
      [
        ['registered', ['openid']],
        ['partner', ['openid', 'email', 'offline_access']],
      ],
      [['registered', ['openid', 'profile']]],
    ]);
    expect(expected.tokens.map((token) => [token.id, token.usesLeft, token.used])).toEqual([
      ['rt-open', null, 0],
      ['rt-three', 2, 1],
    ]);
    dump = path.join(files.dir, 'gatehouse.jsonl');
    const exported = await runIdp(['export', '--output', dump, '--json'], { ...source.env, TRANSFER_KEY });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ rows: { clients: 3, consents: 3, registration_tokens: 2 } });
  });

  afterAll(async () => {
    await source?.drop();
    files?.remove();
  });

  it('is made at the current schema version (15 or later) and carries token hashes only', () => {
    const [header = '{}', ...rows] = readFileSync(dump, 'utf8').trimEnd().split('\n');
    const current = readMigrations('sqlite').at(-1)?.version ?? 0;
    expect(current).toBeGreaterThanOrEqual(15);
    expect(JSON.parse(header)).toMatchObject({ schema_version: current });
    const tokens = rows.map((line) => JSON.parse(line) as { table?: string; row?: Record<string, unknown> }).filter((line) => line.table === 'registration_tokens');
    expect(tokens.map((line) => line.row?.token_hash)).toEqual(['hash-of-rt-open', 'hash-of-rt-three']);
  });

  describe.each(targets)('import into %s', (engine) => {
    let target: ToolStore;
    beforeAll(async () => {
      target = await toolStore(engine);
      const imported = await runIdp(['import', '--input', dump, '--json'], { ...target.env, TRANSFER_KEY });
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ rows: { clients: 3, consents: 3, registration_tokens: 2 } });
    });
    afterAll(async () => {
      await target?.drop();
    });

    it('holds the same clients, consents and registration tokens', async () => {
      expect(await target.withStore(consentData)).toEqual(expected);
    });

    it('goes on from where the source was: a token spends its uses left, a registered client rotates its token', async () => {
      await target.withStore(async (store) => {
        expect(await store.registrationTokens.use('hash-of-rt-three', T0 + 9)).toMatchObject({ usesLeft: 1, used: 2 });
        expect(await store.clients.rotateRegistrationToken('registered', 'hash-of-registration-access-token', 'next', T0 + 9)).toBe(true);
        expect(await store.consents.grant('u-ada', 'partner', ['profile'], T0 + 9)).toMatchObject({ scopes: ['openid', 'email', 'offline_access', 'profile'], lastUsedAt: T0 + 3 });
      });
    });
  });
});
