// `idp backup` and `idp restore` (src/manage/backup.ts, src/manage/restore.ts) as child processes. On SQLite the
// backup is taken from a running app (its writer thread and open connections: an online copy), restored into new
// data directories, and served again: the person signs in, grants made before go on. Every refusal writes nothing.
// On PostgreSQL both commands refuse, naming pg_dump / pg_restore and idp export / idp import.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { newTotpSecret, totpSecretAad } from '../../src/auth/totp.js';
import { POSTGRES_BACKUP_REFUSAL } from '../../src/manage/backup.js';
import { POSTGRES_RESTORE_REFUSAL } from '../../src/manage/restore.js';
import { readMigrations } from '../../src/store/migrate.js';
import { migrateSqlite } from '../../src/store/sqlite/database.js';
import { Browser } from '../helpers/browser.js';
import { testEngine, toolStore } from '../helpers/cli-store.js';
import { addClient, addUser, authorizationUrl, discoverAs, redeem, signIn, type TestClient } from '../helpers/oidc.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { refresh, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { tempDir } from '../helpers/temp-dir.js';

const SCHEMA_VERSION = readMigrations('sqlite').length;

interface BackupJson {
  file: string;
  bytes: number;
  schema_version: number;
  at: string;
  keys_dir: string;
  keys_included: boolean;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function jwks(url: string): Promise<JSONWebKeySet> {
  return (await (await fetch(`${url}/jwks`)).json()) as JSONWebKeySet;
}

describe.runIf(testEngine === 'sqlite')('idp backup and idp restore on SQLite', () => {
  let source: RunningApp;
  let files: { dir: string; remove: () => void };
  let client: TestClient;
  let userId: string;
  let before: Tokens;
  let backup: string;
  let made: BackupJson;
  /** The data directory the first restore filled, once it has. */
  let restoredDataDir: string | undefined;

  const file = (name: string) => path.join(files.dir, name);
  /** A new DATA_DIR beside the backups, with the source's KEYS_DIR unless told otherwise. */
  const restoreEnv = (name: string, keysDir = source.config.keysDir) => ({ DATA_DIR: file(name), KEYS_DIR: keysDir, ISSUER: source.config.issuer });

  beforeAll(async () => {
    files = tempDir();
    source = await startApp({ env: { DATABASE_URL: '' } });
    userId = (await addUser(source)).id;
    client = await addClient(source, { name: 'Team wiki' });
    before = await tokensFor(source, client, new Browser(), 'openid email offline_access');
    // A second person with an authenticator: a secret sealed under KEYS_DIR/secrets.key, which the copy cannot hold.
    const grace = await addUser(source, 'grace@example.com', { name: 'Grace Hopper' });
    const sealed = (await openSecretBox(source.config)).seal(newTotpSecret(), totpSecretAad(grace.id));
    await source.store.totp.begin({ userId: grace.id, sealedSecret: sealed, createdAt: Date.now() });
    backup = file('gatehouse.backup');
    const result = await runIdp(['backup', '--output', backup, '--json'], idpEnv(source));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    made = JSON.parse(result.stdout) as BackupJson;
  });

  afterAll(async () => {
    await source?.stop();
    files?.remove();
  });

  describe('idp backup', () => {
    it('copies the running store into one checked file only its owner can read, and audits it in the live store', async () => {
      expect(made).toEqual({
        file: backup,
        bytes: statSync(backup).size,
        schema_version: SCHEMA_VERSION,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        keys_dir: source.config.keysDir,
        keys_included: false,
      });
      expect(statSync(backup).mode & 0o777).toBe(0o600);
      // One file: no WAL, no journal, no temporary copy left beside it.
      expect(readdirSync(files.dir)).toEqual(['gatehouse.backup']);
      const db = new Database(backup, { readonly: true, fileMustExist: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
        expect(db.prepare('SELECT email FROM users ORDER BY email').pluck().all()).toEqual(['ada@example.com', 'grace@example.com']);
      } finally {
        db.close();
      }
      const [event] = await source.store.audit.list({ limit: 1 });
      expect(event).toMatchObject({ type: 'store.backup_created', actor: 'cli', details: { file: backup, bytes: made.bytes, schema_version: SCHEMA_VERSION } });
    });

    it('says in words what it wrote and that KEYS_DIR is not in it; replaces an existing file only with --force', async () => {
      const kept = sha256(backup);
      const again = await runIdp(['backup', '--output', backup], idpEnv(source));
      expect(again.code).toBe(1);
      expect(again.stderr).toBe(`idp: ${backup} already exists: choose another file, or add --force to replace it\n`);
      expect(sha256(backup)).toBe(kept);
      const forced = await runIdp(['backup', '--output', backup, '--force'], idpEnv(source));
      expect(forced.stderr).toBe('');
      expect(forced.code).toBe(0);
      expect(forced.stdout).toMatch(new RegExp(`^backed up the store to ${backup} \\(\\d+ bytes, schema version ${SCHEMA_VERSION}, as of \\S+\\)\n`));
      expect(forced.stdout).toContain(`they are files in KEYS_DIR (${source.config.keysDir}). Back that directory up beside the copy (cp -a)`);
      expect(statSync(backup).mode & 0o777).toBe(0o600);
    });

    it('refuses to write over the live database even with --force, into a directory that does not exist, and without a database', async () => {
      const live = await runIdp(['backup', '--output', source.config.sqliteFile, '--force'], idpEnv(source));
      expect(live.code).toBe(1);
      expect(live.stderr).toBe(`idp: ${source.config.sqliteFile} is the live database (or one of its files): back up to another file\n`);
      const nowhere = file('missing/backup.sqlite');
      const missing = await runIdp(['backup', '--output', nowhere], idpEnv(source));
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(`idp: the directory ${path.dirname(nowhere)} does not exist: create it first\n`);
      expect(existsSync(path.dirname(nowhere))).toBe(false);
      const empty = { DATA_DIR: file('no-data'), KEYS_DIR: file('no-keys') };
      const nothing = await runIdp(['backup', '--output', file('nothing.sqlite')], empty);
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toBe(`idp: there is no database to back up at ${path.join(empty.DATA_DIR, 'idp.sqlite')} (DATA_DIR is ${empty.DATA_DIR})\n`);
      expect([existsSync(empty.DATA_DIR), existsSync(file('nothing.sqlite'))]).toEqual([false, false]);
    });
  });

  describe('idp restore', () => {
    it('restores into a new DATA_DIR with the same KEYS_DIR: the same keys sign, grants go on, the person signs in', async () => {
      const env = restoreEnv('restored');
      const result = await runIdp(['restore', '--input', backup, '--json'], env);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        file: path.join(env.DATA_DIR, 'idp.sqlite'),
        input: backup,
        from_schema_version: SCHEMA_VERSION,
        schema_version: SCHEMA_VERSION,
        signing_keys: 1,
        secrets_key: true,
        sealed_rows: 1,
      });
      restoredDataDir = env.DATA_DIR;
      expect(readdirSync(env.DATA_DIR)).toEqual(['idp.sqlite']);
      expect(statSync(path.join(env.DATA_DIR, 'idp.sqlite')).mode & 0o777).toBe(0o600);
      expect(statSync(env.DATA_DIR).mode & 0o777).toBe(0o700);

      const app = await startApp({ env });
      try {
        expect(await jwks(app.url)).toEqual(await jwks(source.url));
        const refreshed = await refresh(app, client, before.refresh_token);
        expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
        const rp = await discoverAs(app, client.clientId, client.clientSecret, client.redirectUri);
        const start = await authorizationUrl(rp);
        const tokens = await redeem(rp, await signIn(new Browser(), app, start, 'ada@example.com'), start);
        expect(tokens.claims()).toMatchObject({ sub: userId, email: 'ada@example.com' });
        // The restore is the last event before the server's, on a chain that still verifies.
        const restored = (await app.store.audit.list({ limit: 100 })).find((event) => event.type === 'store.restored');
        expect(restored).toMatchObject({ actor: 'cli', details: { input: backup, from_schema_version: SCHEMA_VERSION, schema_version: SCHEMA_VERSION } });
      } finally {
        await app.stop();
      }
      const verified = await runIdp(['audit', 'verify', '--json'], env);
      expect(JSON.parse(verified.stdout)).toMatchObject({ intact: true });
    });

    it('refuses a store that holds anything, and one a running server has open, and writes nothing', async () => {
      expect(restoredDataDir).toBeDefined();
      const env = { ...restoreEnv('restored'), DATA_DIR: restoredDataDir ?? '' };
      const database = path.join(env.DATA_DIR, 'idp.sqlite');
      const held = sha256(database);
      const refused = await runIdp(['restore', '--input', backup], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        new RegExp(`^idp: the configured store is not empty \\(2 users, .*\\): restore only into a new DATA_DIR \\(move ${env.DATA_DIR} aside\\), with no server running\n$`),
      );
      expect(sha256(database)).toBe(held);
      expect(readdirSync(env.DATA_DIR)).toEqual(['idp.sqlite']);

      const running = await runIdp(['restore', '--input', backup], idpEnv(source));
      expect(running.code).toBe(1);
      expect(running.stderr).toBe(
        `idp: ${source.config.sqliteFile} is open in another process (a running server, or another idp command): stop every server on DATA_DIR ${source.config.dataDir} first\n`,
      );
      expect(readdirSync(source.config.dataDir).filter((name) => name.startsWith('.'))).toEqual([]);
    });

    it('migrates a database of an earlier schema version forward, into a store that an idp command already opened', async () => {
      // In WAL mode, as a copy of a stopped server's database would be: read without leaving a -wal or -shm beside it.
      const older = file('older.sqlite');
      const db = new Database(older);
      db.pragma('journal_mode = WAL');
      migrateSqlite(db, readMigrations('sqlite').slice(0, -1));
      db.close();
      const env = restoreEnv('from-older');
      // An idp command opens (so creates and migrates) the store: it stays empty, and may be restored into.
      expect((await runIdp(['user', 'list'], env)).code).toBe(0);
      const result = await runIdp(['restore', '--input', older], env);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`restored ${older} into ${path.join(env.DATA_DIR, 'idp.sqlite')} (migrated from schema version ${SCHEMA_VERSION - 1} to ${SCHEMA_VERSION})\n`);
      expect(readdirSync(files.dir).filter((name) => name.startsWith('older.sqlite'))).toEqual(['older.sqlite']);
      const migrated = JSON.parse((await runIdp(['migrate', '--json'], env)).stdout) as unknown;
      expect(migrated).toEqual({ applied: [], version: SCHEMA_VERSION });
    });

    it('warns when KEYS_DIR is not the one backed up; the server then makes a new key, so tokens signed before stop verifying', async () => {
      const env = restoreEnv('no-keys', file('empty-keys'));
      const result = await runIdp(['restore', '--input', backup], env);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        [
          `idp: warning: KEYS_DIR (${env.KEYS_DIR}) holds no signing key: copy in the KEYS_DIR backed up with this database before starting the server, or it makes a new key and every token signed before (ID tokens, JWT access tokens) stops verifying`,
          `idp: warning: KEYS_DIR (${env.KEYS_DIR}) holds no secrets.key: the backup's authenticator app secrets, recovery codes and secrets of upstream providers and webhooks (1 rows) open only with the secrets.key backed up with it`,
          '',
        ].join('\n'),
      );
      const app = await startApp({ env });
      try {
        const published = await jwks(app.url);
        expect(published.keys.map((key) => key.kid)).not.toEqual((await jwks(source.url)).keys.map((key) => key.kid));
        await expect(jwtVerify(before.id_token, createLocalJWKSet(published))).rejects.toThrow();
        // The database holds the rest: the person still signs in with the password, and is signed for by the new key.
        const rp = await discoverAs(app, client.clientId, client.clientSecret, client.redirectUri);
        const start = await authorizationUrl(rp);
        const tokens = await redeem(rp, await signIn(new Browser(), app, start, 'ada@example.com'), start);
        expect(tokens.claims()).toMatchObject({ sub: userId });
      } finally {
        await app.stop();
      }
    });

    it('refuses what is not a sound Gatehouse backup of this version or earlier, naming why, and writes nothing', async () => {
      const text = file('notes.txt');
      writeFileSync(text, 'not a database\n'.repeat(100));
      const foreign = file('foreign.sqlite');
      new Database(foreign).exec('CREATE TABLE notes (body TEXT)').close();
      // A cell pointer of the index's page aimed past the page's end: SQLite's integrity check finds it.
      const damaged = file('damaged.sqlite');
      new Database(damaged).exec("CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (x); INSERT INTO t VALUES ('a'), ('b');").close();
      const bytes = readFileSync(damaged);
      bytes.writeUInt16BE(0xffff, 2 * 4096 + 8);
      writeFileSync(damaged, bytes);
      const newer = file('newer.sqlite');
      writeFileSync(newer, readFileSync(backup));
      new Database(newer).prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'from_the_future', 0);

      const env = restoreEnv('refused');
      const cases: [string, string | RegExp][] = [
        [file('absent.sqlite'), `idp: cannot read ${file('absent.sqlite')}: there is no such file\n`],
        [text, `idp: ${text} is not a SQLite database\n`],
        [foreign, `idp: ${foreign} is a SQLite database but not a Gatehouse one (it records no migrations)\n`],
        [damaged, new RegExp(`^idp: ${damaged} fails SQLite's integrity check \\(Tree 3 page 3 cell 0: .+\\): restore another backup\n$`)],
        [newer, `idp: ${newer} was made at schema version ${SCHEMA_VERSION + 1} and this Gatehouse is at ${SCHEMA_VERSION}: restore it with the Gatehouse version that made it, or a later one\n`],
      ];
      for (const [input, message] of cases) {
        const refused = await runIdp(['restore', '--input', input], env);
        expect(refused.code, input).toBe(1);
        if (typeof message === 'string') expect(refused.stderr).toBe(message);
        else expect(refused.stderr).toMatch(message);
        expect(existsSync(env.DATA_DIR), input).toBe(false);
      }
    });
  });
});

describe.runIf(testEngine === 'postgres')('idp backup and idp restore on PostgreSQL', () => {
  it('refuse, naming pg_dump and pg_restore and the portable idp export and idp import, and touch nothing', async () => {
    const tool = await toolStore();
    try {
      const output = path.join(path.dirname(tool.env.DATA_DIR ?? ''), 'backup.sqlite');
      const backup = await runIdp(['backup', '--output', output], tool.env);
      expect(backup.code).toBe(1);
      expect(backup.stderr).toBe(`idp: ${POSTGRES_BACKUP_REFUSAL}\n`);
      expect(existsSync(output)).toBe(false);
      const restore = await runIdp(['restore', '--input', output], tool.env);
      expect(restore.code).toBe(1);
      expect(restore.stderr).toBe(`idp: ${POSTGRES_RESTORE_REFUSAL}\n`);
      expect(POSTGRES_BACKUP_REFUSAL).toMatch(/pg_dump --format=custom .*idp export/);
      expect(POSTGRES_RESTORE_REFUSAL).toMatch(/pg_restore .*idp import/);
      // Refused before the store was opened: not even the migrations ran in the schema.
      const db = new pg.Client({ connectionString: tool.config.database.engine === 'postgres' ? tool.config.database.url : '' });
      await db.connect();
      try {
        expect((await db.query('SELECT tablename FROM pg_tables WHERE schemaname = current_schema()')).rows).toEqual([]);
      } finally {
        await db.end();
      }
    } finally {
      await tool.drop();
    }
  });
});
