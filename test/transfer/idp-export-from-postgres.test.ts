// The portable backup of a PostgreSQL installation (issue 26): `idp backup` is SQLite's, and with PostgreSQL the
// documented alternative to pg_dump is `idp export`. Its file, read by `idp import` into an empty SQLite store,
// serves again: the same keys sign, a grant made before the move refreshes, the person signs in, and a webhook's
// signing secret, sealed under KEY_ENCRYPTION_KEY at the source, is sealed under the target's KEYS_DIR/secrets.key.
// The other direction (SQLite → PostgreSQL) is idp-export-import.test.ts.
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { generateWebhookSecret, webhookSecretAad } from '../../src/delivery/webhook-signature.js';
import { Browser } from '../helpers/browser.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { addClient, addUser, authorizationUrl, discoverAs, redeem, signIn } from '../helpers/oidc.js';
import { freshPostgresSchema, TEST_DATABASE_URL, TEST_KEY_ENCRYPTION_KEY } from '../helpers/postgres.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { refresh, tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { tempDir } from '../helpers/temp-dir.js';

const TRANSFER_KEY = Buffer.alloc(32, 5).toString('base64');

async function kidsOf(app: RunningApp): Promise<string[]> {
  return ((await (await fetch(`${app.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
}

describe.skipIf(!TEST_DATABASE_URL)('idp export from PostgreSQL, idp import into an empty SQLite store', () => {
  it('moves people, applications, grants, keys and webhook secrets, and the person signs in on SQLite', async () => {
    const schema = await freshPostgresSchema(TEST_DATABASE_URL ?? '');
    const files = tempDir();
    let source: RunningApp | undefined;
    let target: ToolStore | undefined;
    let app: RunningApp | undefined;
    try {
      source = await startApp({ env: { DATABASE_URL: schema.url, KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY } });
      expect(source.config.database.engine).toBe('postgres');
      const userId = (await addUser(source)).id;
      const client = await addClient(source, { name: 'Team wiki' });
      const before = await tokensFor(source, client, new Browser(), 'openid email offline_access');
      const kids = await kidsOf(source);
      const webhookSecret = generateWebhookSecret();
      const sealed = (await openSecretBox(source.config)).seal(webhookSecret, webhookSecretAad('wh-1'));
      await source.store.webhooks.create({ id: 'wh-1', url: 'https://siem.example/hook', description: null, secretSealed: sealed, eventTypes: ['user.deleted'], enabled: true }, Date.now());

      const dump = path.join(files.dir, 'cluster.jsonl');
      const exported = await runIdp(['export', '--output', dump, '--json'], { ...idpEnv(source), TRANSFER_KEY });
      expect(exported.stderr).toBe('');
      expect(exported.code).toBe(0);
      target = await toolStore('sqlite');
      const imported = await runIdp(['import', '--input', dump, '--json'], { ...target.env, ISSUER: source.config.issuer, TRANSFER_KEY });
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ signing_keys: kids.length, rows: { users: 1, clients: 1, refresh_tokens: 1, webhooks: 1, webhook_event_types: 1 } });

      // The secret receivers verify with is the same; at rest it is sealed under the target's own key now.
      const moved = await target.withStore((store) => store.webhooks.findById('wh-1'));
      expect(moved?.secretSealed).not.toBe(sealed);
      expect((await openSecretBox(target.config)).open(moved?.secretSealed ?? '', webhookSecretAad('wh-1'))).toBe(webhookSecret);

      app = await startApp({ env: target.env });
      expect(app.config.database.engine).toBe('sqlite');
      expect(await kidsOf(app)).toEqual(kids);
      const refreshed = await refresh(app, client, before.refresh_token);
      expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
      expect(kids).toContain(decodeProtectedHeader(refreshed.json.id_token ?? '').kid);
      const rp = await discoverAs(app, client.clientId, client.clientSecret, client.redirectUri);
      const start = await authorizationUrl(rp);
      const tokens = await redeem(rp, await signIn(new Browser(), app, start, 'ada@example.com'), start);
      expect(tokens.claims()).toMatchObject({ sub: userId, email: 'ada@example.com', iss: app.config.issuer });
    } finally {
      await app?.stop();
      await target?.drop();
      await source?.stop();
      await schema.drop();
      files.remove();
    }
  }, 60_000);
});
