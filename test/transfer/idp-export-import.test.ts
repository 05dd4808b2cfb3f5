// `idp export` then `idp import`: a single-node SQLite installation grows into a PostgreSQL one (and, the same
// code, into another SQLite one). Real `idp` processes; the imported store then serves a real app, where the
// person signs in with the same password, the application with the same secret, and the tokens issued before
// the move still work, signed and verified with the same keys. An authenticator (TOTP) secret, sealed at rest under
// the source's own key, leaves sealed under TRANSFER_KEY and arrives sealed under the target's; recovery codes,
// keyed at rest, are moved from key to key the same way, so the codes a person printed work after the move.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { legacyRecoveryCodeHash, recoveryCodeHash } from '../../src/auth/recovery-codes.js';
import { openSecretBox, secretBox } from '../../src/auth/secret-box.js';
import { newTotpSecret, totpCodeAt, totpSecretAad, totpStep } from '../../src/auth/totp.js';
import { Browser, formAction, formFields } from '../helpers/browser.js';
import { toolStore, type TestEngine, type ToolStore } from '../helpers/cli-store.js';
import { addClient, addUser, authorizationUrl, discoverAs, open, redeem, submitLogin, type TestClient } from '../helpers/oidc.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { refresh, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { tempDir } from '../helpers/temp-dir.js';
import { newUser } from '../store/engines.js';

const TRANSFER_KEY = Buffer.alloc(32, 3).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 4).toString('base64');
const transferBox = secretBox(Buffer.from(TRANSFER_KEY, 'base64'));
/** Grace's recovery codes: one made now (keyed), one stored before the keyed format (plain SHA-256). */
const KEYED_CODE = 'abcde-fghjk';
const LEGACY_CODE = 'mnpqr-stuvw';
const targets: TestEngine[] = TEST_DATABASE_URL ? ['postgres', 'sqlite'] : ['sqlite'];

describe('idp export and idp import: moving a whole installation between stores', () => {
  let source: RunningApp;
  let client: TestClient;
  let userId: string;
  let before: Tokens;
  let kids: string[];
  let files: { dir: string; remove: () => void };
  let dump: string;
  /** A second person, with a confirmed authenticator sealed under the source's secrets key. */
  let graceId: string;
  let totpSecret: string;
  let sourceSealed: string;

  const exportFile = (name: string) => path.join(files.dir, name);

  beforeAll(async () => {
    files = tempDir();
    // The source is the embedded SQLite store whatever project runs this file.
    source = await startApp({ env: { DATABASE_URL: '' } });
    userId = (await addUser(source)).id;
    client = await addClient(source, { name: 'Team wiki' });
    before = await tokensFor(source, client, new Browser(), 'openid email offline_access');
    kids = ((await (await fetch(`${source.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    graceId = (await addUser(source, 'grace@example.com', { name: 'Grace Hopper' })).id;
    totpSecret = newTotpSecret();
    sourceSealed = (await openSecretBox(source.config)).seal(totpSecret, totpSecretAad(graceId));
    expect(await source.store.totp.begin({ userId: graceId, sealedSecret: sourceSealed, createdAt: Date.now() })).toBe(true);
    // Confirmed with a step well in the past, so that the current code is accepted after the move.
    expect(await source.store.totp.confirm(graceId, totpStep(Date.now()) - 10, Date.now())).toBe(true);
    await source.store.recoveryCodes.replace(graceId, [recoveryCodeHash(await openSecretBox(source.config), graceId, KEYED_CODE), legacyRecoveryCodeHash(LEGACY_CODE)], Date.now());
    dump = exportFile('gatehouse.jsonl');
    const exported = await runIdp(['export', '--output', dump, '--json'], { ...idpEnv(source), TRANSFER_KEY });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ signing_keys: 1, rows: { users: 2, clients: 1, sessions: 1, refresh_tokens: 1, totp_credentials: 1 } });
  });

  afterAll(async () => {
    await source?.stop();
    files?.remove();
  });

  describe('export', () => {
    it('writes a file only its owner can read, with no private key or password in clear', () => {
      expect(statSync(dump).mode & 0o777).toBe(0o600);
      const text = readFileSync(dump, 'utf8');
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain('correct horse');
      expect(text).not.toContain(before.refresh_token);
      expect(text).not.toContain(client.clientSecret);
      const [header] = text.split('\n');
      expect(JSON.parse(header ?? '')).toMatchObject({ format: 'gatehouse-export', version: 1, issuer: source.config.issuer, signing_keys: 1 });
    });

    it('carries the authenticator secret sealed under TRANSFER_KEY, not as the source keeps it nor in clear', () => {
      const text = readFileSync(dump, 'utf8');
      expect(text).not.toContain(sourceSealed);
      expect(text).not.toContain(totpSecret);
      const rows = text.split('\n').filter((line) => line.startsWith('{"table":"totp_credentials"'));
      expect(rows).toHaveLength(1);
      const { row } = JSON.parse(rows[0] ?? '') as { row: { user_id: string; sealed_secret: string } };
      expect(row.user_id).toBe(graceId);
      expect(transferBox.open(row.sealed_secret, totpSecretAad(graceId))).toBe(totpSecret);
    });

    it('carries keyed recovery codes keyed under TRANSFER_KEY, not as the source keeps them; older ones as they are', async () => {
      const rows = readFileSync(dump, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{"table":"recovery_codes"'));
      const hashes = rows.map((line) => (JSON.parse(line) as { row: { code_hash: string } }).row.code_hash).sort();
      expect(hashes).toEqual([recoveryCodeHash(transferBox, graceId, KEYED_CODE), legacyRecoveryCodeHash(LEGACY_CODE)].sort());
      expect(hashes).not.toContain(recoveryCodeHash(await openSecretBox(source.config), graceId, KEYED_CODE));
    });

    it('refuses to export an authenticator secret this store cannot open, naming the user, and leaves no file', async () => {
      const broken = await toolStore('sqlite');
      try {
        const foreign = secretBox(Buffer.alloc(32, 9)).seal(newTotpSecret(), totpSecretAad('u-broken'));
        await broken.withStore(async (store) => {
          await store.users.create(newUser('u-broken', 'broken@example.com'), Date.now());
          await store.totp.begin({ userId: 'u-broken', sealedSecret: foreign, createdAt: Date.now() });
        });
        const output = exportFile('broken.jsonl');
        const refused = await runIdp(['export', '--output', output], { ...broken.env, TRANSFER_KEY });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toBe(
          "idp: the authenticator secret of user u-broken cannot be decrypted: this store's secrets key (KEYS_DIR/secrets.key with SQLite, KEY_ENCRYPTION_KEY with PostgreSQL) is not the one it was sealed with, or the row was altered\n",
        );
        expect(existsSync(output)).toBe(false);
      } finally {
        await broken.drop();
      }
    });

    it('never writes over an existing file', async () => {
      const again = await runIdp(['export', '--output', dump], { ...idpEnv(source), TRANSFER_KEY });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`${dump} already exists: choose another file`);
    });

    it('refuses to run without TRANSFER_KEY, saying how to make one', async () => {
      const refused = await runIdp(['export', '--output', exportFile('none.jsonl')], idpEnv(source));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^idp: configuration error: TRANSFER_KEY is required by idp export and idp import: .*openssl rand -base64 32/);
    });

    it('writes the export to standard output, and refuses --json there (standard output holds the export)', async () => {
      const piped = await runIdp(['export'], { ...idpEnv(source), TRANSFER_KEY });
      expect(piped.code).toBe(0);
      expect(piped.stdout.split('\n').filter(Boolean)).toHaveLength(readFileSync(dump, 'utf8').split('\n').filter(Boolean).length);
      expect(piped.stderr).toMatch(/^exported signing keys: 1, users: 2, clients: 1/);
      const json = await runIdp(['export', '--json'], { ...idpEnv(source), TRANSFER_KEY });
      expect(json.code).toBe(1);
      expect(json.stderr).toContain('--json needs --output');
    });

    it('shows a progress bar that reaches 100% with --progress', async () => {
      const shown = await runIdp(['export', '--output', exportFile('progress.jsonl'), '--progress'], { ...idpEnv(source), TRANSFER_KEY });
      expect(shown.code).toBe(0);
      expect(shown.stderr).toMatch(/exporting \[[█░]+\] 100% \| \d+\/\d+ rows and keys/);
    });
  });

  describe.each(targets)('import into %s', (engine) => {
    let target: ToolStore;
    const importing = (args: string[], env: Record<string, string> = {}) => runIdp(['import', ...args], { ...target.env, ISSUER: source.config.issuer, TRANSFER_KEY, ...env });
    /** Nothing was written when a complete import still succeeds afterwards (it only goes into an empty store). */
    async function expectImportable(): Promise<void> {
      const imported = await importing(['--input', dump]);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
    }

    beforeEach(async () => {
      target = await toolStore(engine);
    });
    afterEach(async () => {
      await target?.drop();
    });

    it('moves users, clients, grants and keys: the person signs in, the refresh token and the keys go on working', async () => {
      const imported = await importing(['--input', dump, '--json']);
      expect(imported.stderr).toBe('');
      expect(JSON.parse(imported.stdout)).toMatchObject({ signing_keys: 1, rows: { users: 2, clients: 1, refresh_tokens: 1, totp_credentials: 1 } });

      // The authenticator secret is sealed under the target's key now: its box opens it, the source's does not.
      const aad = totpSecretAad(graceId);
      const moved = await target.withStore((store) => store.totp.find(graceId));
      expect(moved).toMatchObject({ userId: graceId, confirmedAt: expect.any(Number) as number });
      expect((await openSecretBox(target.config)).open(moved?.sealedSecret ?? '', aad)).toBe(totpSecret);
      expect(() => transferBox.open(moved?.sealedSecret ?? '', aad)).toThrow();
      expect(() => secretBox(Buffer.alloc(32, 0)).open(moved?.sealedSecret ?? '', aad)).toThrow();

      const app = await startApp({ env: target.env });
      try {
        expect(app.config.database.engine).toBe(engine);
        const published = ((await (await fetch(`${app.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
        expect(published).toEqual(kids);
        // A grant made before the move is refreshed after it, signed by the same key.
        const refreshed = await refresh(app, client, before.refresh_token);
        expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
        expect(decodeProtectedHeader(refreshed.json.id_token ?? '').kid).toBe(kids[0]);
        // The same person signs in with the same password to the same application, with the same secret.
        const rp = await discoverAs(app, client.clientId, client.clientSecret, client.redirectUri);
        const browser = new Browser();
        const start = await authorizationUrl(rp);
        const answer = await submitLogin(browser, await open(browser, app, start.url), 'ada@example.com');
        expect(answer.status, answer.body).toBe(303);
        const tokens = await redeem(rp, new URL(answer.location ?? ''), start);
        expect(tokens.claims()).toMatchObject({ sub: userId, email: 'ada@example.com', iss: app.config.issuer });
        // The person with an authenticator passes the second step with a code from the same app as before.
        const second = new Browser();
        const started = await authorizationUrl(rp);
        const password = await submitLogin(second, await open(second, app, started.url), 'grace@example.com');
        expect(password.location).toContain('/login/second-factor?challenge=');
        const step = await second.get(password.location ?? '');
        const code = await second.postForm(formAction(step.body, step.url), { ...formFields(step.body), code: totpCodeAt(totpSecret, totpStep(Date.now())) });
        expect(code.status, code.body).toBe(303);
        const graceTokens = await redeem(rp, new URL(code.location ?? ''), started);
        expect(graceTokens.claims()).toMatchObject({ sub: graceId, email: 'grace@example.com', amr: ['pwd', 'otp', 'mfa'] });
        // Her recovery codes work too, under the target's own key: the one made keyed, and the older one.
        for (const recoveryCode of [KEYED_CODE, LEGACY_CODE]) {
          const lost = new Browser();
          const again = await authorizationUrl(rp);
          const passed = await submitLogin(lost, await open(lost, app, again.url), 'grace@example.com');
          const codeStep = await lost.get(passed.location ?? '');
          const used = await lost.postForm(formAction(codeStep.body, codeStep.url), { ...formFields(codeStep.body), code: recoveryCode });
          expect(used.status, `${recoveryCode}: ${used.body}`).toBe(303);
        }
        expect(await app.store.recoveryCodes.countUnused(graceId)).toBe(0);
      } finally {
        await app.stop();
      }
    });

    it('refuses a TRANSFER_KEY other than the export’s, before writing anything', async () => {
      const refused = await importing(['--input', dump], { TRANSFER_KEY: OTHER_KEY });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^idp: signing key \S+ in the export cannot be decrypted: TRANSFER_KEY is not the key the export was made with/);
      await expectImportable();
    });

    it('refuses an authenticator secret not sealed under the export’s TRANSFER_KEY, naming the user, and writes nothing', async () => {
      const lines = readFileSync(dump, 'utf8').trimEnd().split('\n');
      const index = lines.findIndex((line) => line.startsWith('{"table":"totp_credentials"'));
      const row = JSON.parse(lines[index] ?? '') as { table: string; row: Record<string, unknown> };
      const foreign = secretBox(Buffer.from(OTHER_KEY, 'base64')).seal(totpSecret, totpSecretAad(graceId));
      lines[index] = JSON.stringify({ ...row, row: { ...row.row, sealed_secret: foreign } });
      const altered = exportFile(`foreign-secret-${engine}.jsonl`);
      writeFileSync(altered, lines.join('\n') + '\n');
      const refused = await importing(['--input', altered]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`idp: the authenticator secret of user ${graceId} cannot be decrypted: TRANSFER_KEY is not the key the export was made with, or the file was altered\n`);
      expect(await target.withStore((store) => store.users.list({ limit: 10 }))).toMatchObject({ items: [] });
      await expectImportable();
    });

    it('refuses a truncated export and writes nothing, keys included', async () => {
      const lines = readFileSync(dump, 'utf8').trimEnd().split('\n');
      const truncated = exportFile(`truncated-${engine}.jsonl`);
      writeFileSync(truncated, lines.slice(0, -1).join('\n') + '\n');
      const refused = await importing(['--input', truncated]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^idp: the export is incomplete or altered: its header promises \d+ \w+ rows, it holds \d+/);
      await expectImportable();
    });

    it('refuses an altered row, naming its line, and writes nothing', async () => {
      const lines = readFileSync(dump, 'utf8').trimEnd().split('\n');
      const index = lines.findIndex((line) => line.startsWith('{"table":"users"'));
      const row = JSON.parse(lines[index] ?? '') as { table: string; row: Record<string, unknown> };
      lines[index] = JSON.stringify({ ...row, row: { ...row.row, is_admin: 'yes' } });
      const altered = exportFile(`altered-${engine}.jsonl`);
      writeFileSync(altered, lines.join('\n') + '\n');
      const refused = await importing(['--input', altered]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`idp: line ${index + 1} of the export has a string in users.is_admin, which holds true or false\n`);
      await expectImportable();
    });

    it('puts a password hash exported in the old parameter order (m,p,t) in canonical order on import (src/auth/phc.ts)', async () => {
      const lines = readFileSync(dump, 'utf8').trimEnd().split('\n');
      const index = lines.findIndex((line) => line.startsWith('{"table":"users"'));
      const row = JSON.parse(lines[index] ?? '') as { table: string; row: Record<string, unknown> };
      const canonical = String(row.row.password_hash);
      expect(canonical).toMatch(/\$m=19456,t=2,p=1\$/);
      lines[index] = JSON.stringify({ ...row, row: { ...row.row, password_hash: canonical.replace('m=19456,t=2,p=1', 'm=19456,p=1,t=2') } });
      const legacy = exportFile(`legacy-hash-${engine}.jsonl`);
      writeFileSync(legacy, lines.join('\n') + '\n');
      const imported = await importing(['--input', legacy]);
      expect(imported.code, imported.stderr).toBe(0);
      expect((await target.withStore((store) => store.users.findById(String(row.row.id))))?.passwordHash).toBe(canonical);
    });

    it('refuses an export made by another schema version, saying to use the same Gatehouse version', async () => {
      const [header = '', ...rest] = readFileSync(dump, 'utf8').split('\n');
      const older = exportFile(`older-${engine}.jsonl`);
      writeFileSync(older, [JSON.stringify({ ...(JSON.parse(header) as object), schema_version: 3 }), ...rest].join('\n'));
      const refused = await importing(['--input', older]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^idp: the export was made at schema version 3 and this Gatehouse is at \d+: import it with the same Gatehouse version/);
      await expectImportable();
    });

    it('refuses a file that is not an export', async () => {
      const refused = await runIdp(['import'], { ...target.env, TRANSFER_KEY }, '{"hello":"world"}\n');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^idp: the input is not a Gatehouse export/);
    });

    it('refuses a store that already holds data, and changes nothing in it', async () => {
      await expectImportable();
      const again = await importing(['--input', dump]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^idp: the target already has 1 signing key\(s\): import only into a new database and key store/);
      const users = JSON.parse((await runIdp(['user', 'list', '--json'], target.env)).stdout) as { users: unknown[] };
      expect(users.users).toHaveLength(2);
    });

    it('warns when the export comes from another issuer, since relying parties see a new iss', async () => {
      const imported = await importing(['--input', dump], { ISSUER: 'https://idp.example.com' });
      expect(imported.code).toBe(0);
      expect(imported.stderr).toContain(`idp: warning: the export comes from the issuer ${source.config.issuer}, this one is https://idp.example.com`);
    });
  });
});
