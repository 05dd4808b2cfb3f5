// `idp keys list | rotate | revoke`: real `idp` processes beside a running app on the same store, on the engine
// under test. The app follows their changes as it follows any other process's: with SQLite through the watch of
// KEYS_DIR, with PostgreSQL by re-reading the keys every KEY_REFRESH_INTERVAL (1 s in tests).
import { decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { openKeyStore } from '../../src/services.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import { keyPolicy } from '../../src/signing/key-schedule.js';
import { Browser } from '../helpers/browser.js';
import { signingKeysAtRest, toolStore, type ToolStore } from '../helpers/cli-store.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { idpEnv, runIdp } from '../helpers/processes.js';
import { tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface ListedKey {
  kid: string;
  state: string;
  created_at: string;
  activates_at: string;
  activated_at: string | null;
  retires_at: string | null;
  retirement_decided: boolean;
  revoked_at: string | null;
}

const HOUR = 3600 * 1000;

describe('idp keys (the command-line tool beside a running server)', () => {
  let app: RunningApp;
  let env: Record<string, string>;
  const idp = (...args: string[]) => runIdp(['keys', ...args], env);

  /** `--json` goes right after the command, before a `--` that ends the options. */
  async function json<T>(command: string, ...args: string[]): Promise<T> {
    const result = await idp(command, '--json', ...args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as T;
  }
  const listed = async () => (await json<{ keys: ListedKey[] }>('list')).keys;
  const states = async () => (await listed()).map((key) => [key.kid, key.state]);
  const published = async () => ((await (await fetch(`${app.config.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);

  /**
   * The app learns of the tool's changes a moment later: at once through the directory watch (SQLite), or at its
   * next re-read of the shared keys (PostgreSQL, every KEY_REFRESH_INTERVAL). Wait until it has, within that
   * interval plus 3 s (the margin the watch always had).
   */
  async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const refresh = app.config.database.engine === 'postgres' ? app.config.keyRefreshInterval * 1000 : 0;
    const deadline = Date.now() + refresh + 3000;
    while (!(await check())) {
      if (Date.now() >= deadline) throw new Error(`the running app never saw: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  }

  /**
   * The store (SQLite file and key files, or a PostgreSQL schema) outlives the app, whose own directory goes
   * when it stops, so that the app can be restarted on it. startApp lets this environment override its own store.
   */
  let stored: ToolStore;
  async function start(): Promise<void> {
    app = await startApp({ env: stored.env });
    env = idpEnv(app);
    // The app runs on this store, not on one of startApp's own.
    expect(env).toMatchObject(stored.env);
  }

  beforeEach(async () => {
    stored = await toolStore();
    await start();
  });
  afterEach(async () => {
    await app?.stop();
    await stored?.drop();
  });

  it('rotate schedules a key: published at once, signing after KEY_PREPUBLISH, while the current key still signs', async () => {
    const current = app.keyRing.signingKey.kid;
    const rotated = await json<ListedKey & { previous_kid: string }>('rotate');
    expect(rotated).toMatchObject({ state: 'pending', previous_kid: current, activated_at: null, revoked_at: null });
    expect(Date.parse(rotated.activates_at) - Date.parse(rotated.created_at)).toBe(app.config.keyPrepublish * 1000);

    await until(async () => (await published()).includes(rotated.kid), 'the scheduled key in the JWKS');
    expect((await published()).sort()).toEqual([current, rotated.kid].sort());
    expect(app.keyRing.signingKey.kid).toBe(current);

    const keys = await listed();
    expect(keys.map((key) => [key.kid, key.state])).toEqual([
      [rotated.kid, 'pending'],
      [current, 'active'],
    ]);
    // The current key retires once the tokens it signs until the activation have expired (1 h ID tokens + 60 s).
    expect(Date.parse(keys[1]?.retires_at ?? '')).toBe(Date.parse(rotated.activates_at) + HOUR + 60_000);
    const [event] = await app.store.audit.list({ limit: 1 });
    expect(event).toMatchObject({ type: 'key.rotation_scheduled', actor: 'cli', subject: rotated.kid, details: { previous_kid: current } });
  });

  it('list shows the retirement the server decided as the key stopped signing, whatever ID_TOKEN_TTL the tool runs with', async () => {
    const current = app.keyRing.signingKey.kid;
    const rotated = await json<ListedKey>('rotate', '--now');
    // The app decides as it sees the new key take over: its 1 h ID tokens + 60 s, from the new key's activation.
    const decided = new Date(Date.parse(rotated.activates_at) + HOUR + 60_000).toISOString();
    await until(async () => (await listed()).find((key) => key.kid === current)?.retirement_decided === true, 'the retirement of the superseded key decided');
    // A tool (or a restarted server) with 10 h ID tokens would expect a later retirement: the decided one stands.
    const longTokens = { ...env, ID_TOKEN_TTL: '36000' };
    const result = await runIdp(['keys', 'list', '--json'], longTokens);
    expect(result.code).toBe(0);
    const keys = (JSON.parse(result.stdout) as { keys: ListedKey[] }).keys;
    expect(keys.find((key) => key.kid === current)).toMatchObject({ state: 'published', retires_at: decided, retired_at: null, retirement_decided: true });
    expect(keys.find((key) => key.kid === rotated.kid)).toMatchObject({ state: 'active', retires_at: null, retirement_decided: false });
    const text = await runIdp(['keys', 'list'], longTokens);
    const line = text.stdout.split('\n').find((l) => l.startsWith(current));
    expect(line).toMatch(new RegExp(`  retires ${decided.replace(/\./g, '\\.')}$`));
  });

  it('list marks a retirement not decided yet as expected, from its own token lifetimes', async () => {
    const current = app.keyRing.signingKey.kid;
    const rotated = await json<ListedKey>('rotate');
    const keys = await listed();
    expect(keys.find((key) => key.kid === current)).toMatchObject({ state: 'active', retirement_decided: false });
    const text = await idp('list');
    const line = text.stdout.split('\n').find((l) => l.startsWith(current));
    expect(line).toContain(`  retires ${new Date(Date.parse(rotated.activates_at) + HOUR + 60_000).toISOString()} (expected)`);
  });

  it('rotate --now signs with the new key at once, and warns that cached key sets reject it until refetched', async () => {
    const current = app.keyRing.signingKey.kid;
    const result = await idp('rotate', '--now');
    expect(result.code).toBe(0);
    const [, kid] = /^new signing key (\S+) is active now/.exec(result.stdout) ?? [];
    expect(kid).toBeDefined();
    expect(result.stdout).toMatch(/relying parties with a cached copy of the JWKS reject tokens signed by \S+ until they fetch it again \(up to JWKS_MAX_AGE=300 s\)/);
    await until(() => app.keyRing.signingKey.kid === kid, 'the new signing key');
    expect(await states()).toEqual([
      [kid, 'active'],
      [current, 'published'],
    ]);
    expect((await published()).sort()).toEqual([current, kid].sort());
    expect((await app.store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'key.activated_now', subject: kid });
  });

  // A kid is an RFC 7638 thumbprint in base64url and may begin with '-' (hence '-no-such-key' below): the tool
  // takes such a word as the kid, not as an unknown option.
  describe('revoke', () => {
    let client: TestClient;
    const signIn = (email: string, scope: string) => tokensFor(app, client, new Browser(), scope, email);
    const refreshRevoked = async (tokens: Tokens) => (await app.store.refreshTokens.find(hashSecret(tokens.refresh_token)))?.revokedAt !== null;
    const userinfo = async (tokens: Tokens) => (await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status;
    const sessionsOf = async (email: string) => {
      const user = await app.store.users.findByEmail(email);
      return (await app.store.sessions.listForUser(user?.id ?? '', Date.now())).length;
    };

    beforeEach(async () => {
      await addUser(app, 'ada@example.com');
      await addUser(app, 'grace@example.com');
      client = await addClient(app);
    });

    it('takes a key out of the JWKS at once and revokes the grants and sessions of its tokens, and only those', async () => {
      const old = app.keyRing.signingKey.kid;
      const ada = await signIn('ada@example.com', 'openid');
      const adaOffline = await signIn('ada@example.com', 'openid offline_access');
      expect(decodeProtectedHeader(ada.id_token).kid).toBe(old);
      const rotated = await json<ListedKey>('rotate', '--now');
      await until(() => app.keyRing.signingKey.kid === rotated.kid, 'the new signing key');
      const grace = await signIn('grace@example.com', 'openid');
      expect(decodeProtectedHeader(grace.id_token).kid).toBe(rotated.kid);

      const revoked = await json<ListedKey & Record<string, unknown>>('revoke', old);
      expect(revoked).toMatchObject({ kid: old, state: 'revoked', was_signing: false, replacement: null, grants_revoked: 2, sessions_ended: 2 });
      expect(revoked.refresh_tokens_revoked).toBe(2);

      await until(async () => !(await published()).includes(old), 'the revoked key leave the JWKS');
      expect(await published()).toEqual([rotated.kid]);
      expect(app.keyRing.signingKey.kid).toBe(rotated.kid);
      expect(await refreshRevoked(ada)).toBe(true);
      expect(await refreshRevoked(adaOffline)).toBe(true);
      expect(await userinfo(ada)).toBe(401);
      expect(await sessionsOf('ada@example.com')).toBe(0);
      // Tokens signed by another key are untouched.
      expect(await refreshRevoked(grace)).toBe(false);
      expect(await userinfo(grace)).toBe(200);
      expect(await sessionsOf('grace@example.com')).toBe(1);
      const events = await app.store.audit.list({ limit: 20 });
      expect(events.find((event) => event.type === 'key.revoked')).toMatchObject({
        actor: 'cli',
        subject: old,
        details: { was_signing: false, replacement_kid: null, grants: 2, refresh_tokens: 2, sessions: 2 },
      });
      expect(events.filter((event) => event.type === 'session.ended').map((event) => event.details.reason)).toEqual(['key_revoked', 'key_revoked']);
    });

    it('replaces the signing key at once with a new key, and says there was no other choice', async () => {
      const old = app.keyRing.signingKey.kid;
      const ada = await signIn('ada@example.com', 'openid');
      const result = await idp('revoke', old);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const [, replacement] = /it was the signing key: a new key (\S+) signs from now on\. There was no other choice/.exec(result.stdout) ?? [];
      expect(replacement).toBeDefined();
      expect(result.stdout).toContain('revoked 1 grant(s) (1 refresh and 1 access token(s)) and ended 1 session(s)');
      await until(() => app.keyRing.signingKey.kid === replacement, 'the replacement signing key');
      expect(await published()).toEqual([replacement]);
      expect(await refreshRevoked(ada)).toBe(true);
      expect(await states()).toEqual([
        [replacement, 'active'],
        [old, 'revoked'],
      ]);
    });

    it('brings a scheduled key forward rather than make a new one, as it is in more caches already', async () => {
      const old = app.keyRing.signingKey.kid;
      const scheduled = await json<ListedKey>('rotate');
      const revoked = await json<{ was_signing: boolean; replacement: ListedKey & { source: string } }>('revoke', old);
      expect(revoked.was_signing).toBe(true);
      expect(revoked.replacement).toMatchObject({ kid: scheduled.kid, state: 'active', source: 'scheduled', created_at: scheduled.created_at });
      await until(() => app.keyRing.signingKey.kid === scheduled.kid, 'the scheduled key signing');
      expect(await states()).toEqual([
        [scheduled.kid, 'active'],
        [old, 'revoked'],
      ]);
    });

    it('refuses an unknown kid clearly, with a non-zero exit, and writes nothing', async () => {
      const keysAtRest = () => signingKeysAtRest(app);
      const before = { keys: await keysAtRest(), audit: (await app.store.audit.list({ limit: 100 })).length };
      expect(before.keys).not.toHaveLength(0);
      for (const kid of ['no-such-key', '../keys/x', '-no-such-key']) {
        const result = await idp('revoke', kid);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toBe(`idp: no signing key ${JSON.stringify(kid)}\n`);
      }
      expect({ keys: await keysAtRest(), audit: (await app.store.audit.list({ limit: 100 })).length }).toEqual(before);
    });

    it('refuses to revoke a key twice', async () => {
      const old = app.keyRing.signingKey.kid;
      expect((await idp('revoke', old)).code).toBe(0);
      const again = await idp('revoke', old);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(new RegExp(`^idp: signing key ${old} was already revoked at \\d{4}-\\d\\d-\\d\\dT.*Z\\n$`));
    });
  });

  it('keeps every key state across a restart: the list, a new key store and a new key ring agree', async () => {
    const first = app.keyRing.signingKey.kid;
    const second = (await json<ListedKey>('rotate', '--now')).kid;
    expect((await idp('revoke', first)).code).toBe(0);
    const pending = (await json<ListedKey>('rotate')).kid;
    const before = await listed();
    expect(before.map((key) => [key.kid, key.state])).toEqual([
      [pending, 'pending'],
      [second, 'active'],
      [first, 'revoked'],
    ]);

    await app.stop();
    await start();
    expect(await listed()).toEqual(before);
    // A key store of the engine's own kind (key files, or encrypted rows) reads back what the tool wrote.
    const ring = await KeyRing.open(openKeyStore(app.config, app.store), { now: () => Date.now() }, keyPolicy(app.config).retirementDelayMs);
    expect(ring.schedule.keys.map((t) => [t.key.kid, t.state])).toEqual([
      [pending, 'pending'],
      [second, 'active'],
      [first, 'revoked'],
    ]);
    expect(app.keyRing.signingKey.kid).toBe(second);
    expect((await published()).sort()).toEqual([pending, second].sort());
  });
});
