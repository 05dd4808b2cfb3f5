// `idp export` then `idp import`: a single-node SQLite installation grows into a PostgreSQL one (and, the same
// code, into another SQLite one). Real `idp` processes; the imported store then serves a real app, where the
// person signs in with the same password, the application with the same secret, and the tokens issued before
// the move still work, signed and verified with the same keys.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { toolStore, type TestEngine, type ToolStore } from '../helpers/cli-store.js';
import { addClient, addUser, authorizationUrl, discoverAs, open, redeem, submitLogin, type TestClient } from '../helpers/oidc.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { refresh, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { tempDir } from '../helpers/temp-dir.js';

const TRANSFER_KEY = Buffer.alloc(32, 3).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 4).toString('base64');
const targets: TestEngine[] = TEST_DATABASE_URL ? ['postgres', 'sqlite'] : ['sqlite'];

describe('idp export and idp import: moving a whole installation between stores', () => {
  let source: RunningApp;
  let client: TestClient;
  let userId: string;
  let before: Tokens;
  let kids: string[];
  let files: { dir: string; remove: () => void };
  let dump: string;

  const exportFile = (name: string) => path.join(files.dir, name);

  beforeAll(async () => {
    files = tempDir();
    // The source is the embedded SQLite store whatever project runs this file.
    source = await startApp({ env: { DATABASE_URL: '' } });
    userId = (await addUser(source)).id;
    client = await addClient(source, { name: 'Team wiki' });
    before = await tokensFor(source, client, new Browser(), 'openid email offline_access');
    kids = ((await (await fetch(`${source.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    dump = exportFile('gatehouse.jsonl');
    const exported = await runIdp(['export', '--output', dump, '--json'], { ...idpEnv(source), TRANSFER_KEY });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ signing_keys: 1, rows: { users: 1, clients: 1, sessions: 1, refresh_tokens: 1 } });
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
      expect(piped.stderr).toMatch(/^exported signing keys: 1, users: 1, clients: 1/);
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
    const importing = (args: string[], env: Record<string, string> = {}) =>
      runIdp(['import', ...args], { ...target.env, ISSUER: source.config.issuer, TRANSFER_KEY, ...env });
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
      expect(JSON.parse(imported.stdout)).toMatchObject({ signing_keys: 1, rows: { users: 1, clients: 1, refresh_tokens: 1 } });

      const moved = await startApp({ env: target.env });
      try {
        expect(moved.config.database.engine).toBe(engine);
        const published = ((await (await fetch(`${moved.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
        expect(published).toEqual(kids);
        // A grant made before the move is refreshed after it, signed by the same key.
        const refreshed = await refresh(moved, client, before.refresh_token);
        expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
        expect(decodeProtectedHeader(refreshed.json.id_token ?? '').kid).toBe(kids[0]);
        // The same person signs in with the same password to the same application, with the same secret.
        const rp = await discoverAs(moved, client.clientId, client.clientSecret, client.redirectUri);
        const browser = new Browser();
        const start = await authorizationUrl(rp);
        const answer = await submitLogin(browser, await open(browser, moved, start.url), 'ada@example.com');
        expect(answer.status, answer.body).toBe(303);
        const tokens = await redeem(rp, new URL(answer.location ?? ''), start);
        expect(tokens.claims()).toMatchObject({ sub: userId, email: 'ada@example.com', iss: moved.config.issuer });
      } finally {
        await moved.stop();
      }
    });

    it('refuses a TRANSFER_KEY other than the export’s, before writing anything', async () => {
      const refused = await importing(['--input', dump], { TRANSFER_KEY: OTHER_KEY });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^idp: signing key \S+ in the export cannot be decrypted: TRANSFER_KEY is not the key the export was made with/);
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
      expect(users.users).toHaveLength(1);
    });

    it('warns when the export comes from another issuer, since relying parties see a new iss', async () => {
      const imported = await importing(['--input', dump], { ISSUER: 'https://idp.example.com' });
      expect(imported.code).toBe(0);
      expect(imported.stderr).toContain(`idp: warning: the export comes from the issuer ${source.config.issuer}, this one is https://idp.example.com`);
    });
  });
});
