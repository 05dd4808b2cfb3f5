// One contract for every storage engine: these tests speak only to the Store interface, so PostgreSQL joins
// by adding a factory to `engines`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, StoreUnavailableError, ValidationError } from '../../src/errors.js';
import type {
  NewAuthorizationCode,
  NewClient,
  NewRefreshToken,
  NewUser,
  SessionRecord,
  SigningKeyRecord,
} from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

interface OpenedStore {
  store: Store;
  /** Closes the store (again, if a test already did) and removes everything the engine left behind. */
  destroy(): Promise<void>;
}

interface Engine {
  name: string;
  open(): Promise<OpenedStore>;
}

const engines: Engine[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-'));
      const store = openSqliteStore({ file: path.join(dir, 'gatehouse.db'), synchronous: 'NORMAL' });
      return {
        store,
        async destroy() {
          await store.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

function newUser(id: string, email: string, overrides: Partial<NewUser> = {}): NewUser {
  return { id, email, name: null, passwordHash: `$argon2id$v=19$${id}`, isAdmin: false, disabled: false, emailVerified: false, ...overrides };
}

function newClient(clientId: string, name: string, overrides: Partial<NewClient> = {}): NewClient {
  return {
    clientId,
    name,
    clientType: 'confidential',
    secretHash: `secret-hash-${clientId}`,
    tokenEndpointAuthMethod: 'client_secret_basic',
    redirectUris: [`https://${clientId}.example/cb`],
    postLogoutRedirectUris: [],
    backchannelLogoutUri: null,
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'email'],
    pkceRequired: true,
    ...overrides,
  };
}

function newKey(kid: string, createdAt: number, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    alg: 'RS256',
    state: 'published',
    publicJwk: JSON.stringify({ kty: 'RSA', kid }),
    privateKeyCiphertext: `ciphertext-${kid}`,
    createdAt,
    activatedAt: null,
    retiredAt: null,
    ...overrides,
  };
}

function newSession(idHash: string, userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { idHash, userId, authTime: T0, createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 60 * MINUTE, ...overrides };
}

function newCode(codeHash: string, userId: string, clientId: string, overrides: Partial<NewAuthorizationCode> = {}): NewAuthorizationCode {
  return {
    codeHash,
    grantId: `grant-${codeHash}`,
    clientId,
    userId,
    sessionIdHash: null,
    redirectUri: `https://${clientId}.example/cb`,
    scope: 'openid email',
    nonce: null,
    codeChallenge: null,
    codeChallengeMethod: null,
    authTime: T0,
    createdAt: T0,
    expiresAt: T0 + MINUTE,
    ...overrides,
  };
}

function newToken(tokenHash: string, userId: string, clientId: string, overrides: Partial<NewRefreshToken> = {}): NewRefreshToken {
  return {
    tokenHash,
    grantId: 'grant-1',
    clientId,
    userId,
    sessionIdHash: null,
    scope: 'openid offline_access',
    authTime: T0,
    createdAt: T0,
    expiresAt: T0 + 30 * 24 * 60 * MINUTE,
    ...overrides,
  };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
  });

  afterEach(async () => {
    await opened.destroy();
  });

  /** A user and a client for the rows that reference both. */
  async function seedUserAndClient(): Promise<void> {
    await store.users.create(newUser('u1', 'one@example.com'), T0);
    await store.users.create(newUser('u2', 'two@example.com'), T0);
    await store.clients.create(newClient('rp', 'Relying party'), T0);
  }

  describe('users', () => {
    it('creates a user and finds it again by id with every field and both timestamps', async () => {
      const input = newUser('u1', 'Alice@Example.com', { name: 'Alice', isAdmin: true, disabled: true, emailVerified: true });
      const created = await store.users.create(input, T0);
      expect(created).toEqual({ ...input, createdAt: T0, updatedAt: T0 });
      expect(await store.users.findById('u1')).toEqual(created);
    });

    it('keeps false flags false and a missing name null', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      expect(await store.users.findById('u1')).toMatchObject({ name: null, isAdmin: false, disabled: false, emailVerified: false });
    });

    it('refuses a second user whose email differs only in case', async () => {
      await store.users.create(newUser('u1', 'Alice@Example.com'), T0);
      await expect(store.users.create(newUser('u2', 'alice@example.COM'), T0)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.users.findById('u2')).toBeNull();
    });

    it('finds a user by email whatever its case, and shows the address as it was entered', async () => {
      await store.users.create(newUser('u1', 'Alice@Example.com'), T0);
      expect((await store.users.findByEmail('ALICE@example.com'))?.id).toBe('u1');
      expect((await store.users.findByEmail('alice@example.com'))?.email).toBe('Alice@Example.com');
    });

    it('answers null for an unknown id or email', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      expect(await store.users.findById('nobody')).toBeNull();
      expect(await store.users.findByEmail('nobody@example.com')).toBeNull();
    });

    it('updates only the patched fields and stamps updatedAt', async () => {
      await store.users.create(newUser('u1', 'a@example.com', { name: 'A' }), T0);
      const updated = await store.users.update('u1', { isAdmin: true, passwordHash: 'new-hash' }, T0 + MINUTE);
      expect(updated).toEqual({ ...newUser('u1', 'a@example.com', { name: 'A', isAdmin: true, passwordHash: 'new-hash' }), createdAt: T0, updatedAt: T0 + MINUTE });
      expect(await store.users.findById('u1')).toEqual(updated);
    });

    it('changes the email and then finds the user only by the new one', async () => {
      await store.users.create(newUser('u1', 'old@example.com'), T0);
      await store.users.update('u1', { email: 'New@Example.com', name: null }, T0 + 1);
      expect((await store.users.findByEmail('new@example.com'))?.email).toBe('New@Example.com');
      expect(await store.users.findByEmail('old@example.com')).toBeNull();
    });

    it('refuses to change an email to one another user has, in any case', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      await expect(store.users.update('u2', { email: 'A@EXAMPLE.com' }, T0 + 1)).rejects.toBeInstanceOf(ConflictError);
      expect((await store.users.findById('u2'))?.email).toBe('b@example.com');
    });

    it('answers null when updating a user that does not exist, and changes nobody else', async () => {
      await store.users.create(newUser('u1', 'a@example.com', { name: 'A' }), T0);
      expect(await store.users.update('nobody', { name: 'X' }, T0 + 1)).toBeNull();
      expect(await store.users.findById('u1')).toMatchObject({ name: 'A', updatedAt: T0 });
    });

    it('deletes a user once and answers false the second time', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.users.findById('u1')).toBeNull();
      expect(await store.users.delete('u1')).toBe(false);
      expect(await store.users.findById('u2')).not.toBeNull();
    });

    it('lists users in email order across three pages, with no next cursor on the last', async () => {
      for (const [id, email] of [['u1', 'eve@example.com'], ['u2', 'bob@example.com'], ['u3', 'dan@example.com'], ['u4', 'alice@example.com'], ['u5', 'carol@example.com']] as const) {
        await store.users.create(newUser(id, email), T0);
      }
      const first = await store.users.list({ limit: 2 });
      expect(first.items.map((u) => u.email)).toEqual(['alice@example.com', 'bob@example.com']);
      expect(first.next).not.toBeNull();
      const second = await store.users.list({ after: first.next, limit: 2 });
      expect(second.items.map((u) => u.email)).toEqual(['carol@example.com', 'dan@example.com']);
      expect(second.next).not.toBeNull();
      const third = await store.users.list({ after: second.next, limit: 2 });
      expect(third.items.map((u) => u.email)).toEqual(['eve@example.com']);
      expect(third.next).toBeNull();
    });

    it('gives no next cursor when the last page is exactly full', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      const page = await store.users.list({ limit: 2 });
      expect(page.items).toHaveLength(2);
      expect(page.next).toBeNull();
    });

    it('rejects a page cursor it did not issue', async () => {
      await expect(store.users.list({ after: 'not-a-cursor', limit: 2 })).rejects.toBeInstanceOf(ValidationError);
    });

    it('deletes a user together with their sessions, codes and refresh tokens, and nobody else’s', async () => {
      await seedUserAndClient();
      for (const userId of ['u1', 'u2']) {
        await store.sessions.create(newSession(`s-${userId}`, userId));
        await store.codes.create(newCode(`c-${userId}`, userId, 'rp'));
        await store.refreshTokens.create(newToken(`r-${userId}`, userId, 'rp'));
      }
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.sessions.findLive('s-u1', T0)).toBeNull();
      expect(await store.codes.find('c-u1')).toBeNull();
      expect(await store.refreshTokens.find('r-u1')).toBeNull();
      expect(await store.sessions.findLive('s-u2', T0)).not.toBeNull();
      expect(await store.codes.find('c-u2')).not.toBeNull();
      expect(await store.refreshTokens.find('r-u2')).not.toBeNull();
    });
  });

  describe('clients', () => {
    it('creates a client and reads its URI, grant and scope lists back unchanged', async () => {
      const input = newClient('rp', 'Relying party', {
        redirectUris: ['https://rp.example/cb', 'https://rp.example/cb?x=1&y="2"'],
        postLogoutRedirectUris: ['https://rp.example/bye'],
        backchannelLogoutUri: 'https://rp.example/bcl',
        scopes: ['openid', 'profile', 'email', 'offline_access'],
        pkceRequired: false,
      });
      const created = await store.clients.create(input, T0);
      expect(created).toEqual({ ...input, createdAt: T0, updatedAt: T0 });
      expect(await store.clients.findById('rp')).toEqual(created);
    });

    it('stores a public client with no secret hash', async () => {
      await store.clients.create(newClient('spa', 'SPA', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' }), T0);
      expect(await store.clients.findById('spa')).toMatchObject({ clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none', pkceRequired: true });
    });

    it('refuses a second client with the same id', async () => {
      await store.clients.create(newClient('rp', 'One'), T0);
      await expect(store.clients.create(newClient('rp', 'Two'), T0)).rejects.toBeInstanceOf(ConflictError);
      expect((await store.clients.findById('rp'))?.name).toBe('One');
    });

    it('answers null for an unknown client', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      expect(await store.clients.findById('nobody')).toBeNull();
    });

    it('updates only the patched fields, lists included, and stamps updatedAt', async () => {
      const input = newClient('rp', 'Relying party');
      await store.clients.create(input, T0);
      const updated = await store.clients.update('rp', { name: 'Renamed', redirectUris: ['https://a.example/1', 'https://a.example/2'], pkceRequired: false }, T0 + MINUTE);
      const expected = { ...input, name: 'Renamed', redirectUris: ['https://a.example/1', 'https://a.example/2'], pkceRequired: false, createdAt: T0, updatedAt: T0 + MINUTE };
      expect(updated).toEqual(expected);
      expect(await store.clients.findById('rp')).toEqual(expected);
    });

    it('turns a confidential client public when the patch clears its secret', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      await store.clients.update('rp', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' }, T0 + 1);
      expect(await store.clients.findById('rp')).toMatchObject({ clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' });
    });

    it('answers null when updating a client that does not exist, and changes no other client', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      expect(await store.clients.update('nobody', { name: 'X' }, T0 + 1)).toBeNull();
      expect(await store.clients.findById('rp')).toMatchObject({ name: 'RP', updatedAt: T0 });
    });

    it('deletes a client once and answers false the second time', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      await store.clients.create(newClient('other', 'Other'), T0);
      expect(await store.clients.delete('rp')).toBe(true);
      expect(await store.clients.findById('rp')).toBeNull();
      expect(await store.clients.delete('rp')).toBe(false);
      expect(await store.clients.findById('other')).not.toBeNull();
    });

    it('lists clients by name then id across three pages, even when equal names straddle a page', async () => {
      for (const [id, name] of [['c1', 'Beta'], ['c2', 'Alpha'], ['c3', 'Alpha'], ['c0', 'Alpha'], ['c4', 'Gamma']] as const) {
        await store.clients.create(newClient(id, name), T0);
      }
      const first = await store.clients.list({ limit: 2 });
      expect(first.items.map((c) => c.clientId)).toEqual(['c0', 'c2']);
      const second = await store.clients.list({ after: first.next, limit: 2 });
      expect(second.items.map((c) => c.clientId)).toEqual(['c3', 'c1']);
      expect(second.next).not.toBeNull();
      const third = await store.clients.list({ after: second.next, limit: 2 });
      expect(third.items.map((c) => c.clientId)).toEqual(['c4']);
      expect(third.items[0]?.scopes).toEqual(['openid', 'email']);
      expect(third.next).toBeNull();
    });

    it('rejects a page cursor that is garbage or has the wrong shape', async () => {
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      const userCursor = (await store.users.list({ limit: 1 })).next;
      expect(userCursor).not.toBeNull();
      await expect(store.clients.list({ after: 'not-a-cursor', limit: 2 })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.clients.list({ after: userCursor, limit: 2 })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('signing keys', () => {
    it('lists keys newest first, ties broken by kid, with every field intact', async () => {
      const keys = [newKey('k-old', T0), newKey('k-new', T0 + 2 * MINUTE, { state: 'active', activatedAt: T0 + 2 * MINUTE }), newKey('k-b', T0 + MINUTE), newKey('k-a', T0 + MINUTE)];
      for (const key of keys) await store.signingKeys.insert(key);
      const listed = await store.signingKeys.list();
      expect(listed.map((k) => k.kid)).toEqual(['k-new', 'k-a', 'k-b', 'k-old']);
      expect(listed[0]).toEqual(keys[1]);
    });

    it('refuses a second key with the same kid', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      await expect(store.signingKeys.insert(newKey('k1', T0 + 1))).rejects.toBeInstanceOf(ConflictError);
      expect(await store.signingKeys.list()).toEqual([newKey('k1', T0)]);
    });

    it('stamps activatedAt on the first activation only and retiredAt on retirement', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      expect(await store.signingKeys.setState('k1', 'active', T0 + 1)).toMatchObject({ state: 'active', activatedAt: T0 + 1, retiredAt: null });
      expect(await store.signingKeys.setState('k1', 'published', T0 + 2)).toMatchObject({ state: 'published', activatedAt: T0 + 1, retiredAt: null });
      expect(await store.signingKeys.setState('k1', 'active', T0 + 3)).toMatchObject({ state: 'active', activatedAt: T0 + 1, retiredAt: null });
      const retired = await store.signingKeys.setState('k1', 'retired', T0 + 4);
      expect(retired).toMatchObject({ state: 'retired', activatedAt: T0 + 1, retiredAt: T0 + 4 });
      expect((await store.signingKeys.list())[0]).toEqual(retired);
    });

    it('keeps the first retirement time when a retired key is retired again', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      await store.signingKeys.setState('k1', 'retired', T0 + 1);
      expect(await store.signingKeys.setState('k1', 'retired', T0 + 2)).toMatchObject({ retiredAt: T0 + 1, activatedAt: null });
    });

    it('answers null when setting the state of an unknown key, and changes no other key', async () => {
      await store.signingKeys.insert(newKey('k1', T0));
      expect(await store.signingKeys.setState('nobody', 'active', T0 + 1)).toBeNull();
      expect(await store.signingKeys.list()).toEqual([newKey('k1', T0)]);
    });
  });

  describe('sessions', () => {
    beforeEach(seedUserAndClient);

    it('finds a live session with every field', async () => {
      const session = newSession('s1', 'u1', { authTime: T0 - 5, createdAt: T0 - 4, lastSeenAt: T0 - 3 });
      await store.sessions.create(session);
      expect(await store.sessions.findLive('s1', T0)).toEqual(session);
    });

    it('ignores a session that has expired, from its expiry instant on', async () => {
      await store.sessions.create(newSession('s1', 'u1', { expiresAt: T0 + MINUTE }));
      expect(await store.sessions.findLive('s1', T0 + MINUTE - 1)).not.toBeNull();
      expect(await store.sessions.findLive('s1', T0 + MINUTE)).toBeNull();
      expect(await store.sessions.findLive('nobody', T0)).toBeNull();
    });

    it('records when a session was last seen', async () => {
      await store.sessions.create(newSession('s1', 'u1'));
      await store.sessions.touch('s1', T0 + 5 * MINUTE);
      expect((await store.sessions.findLive('s1', T0 + 5 * MINUTE))?.lastSeenAt).toBe(T0 + 5 * MINUTE);
    });

    it('lists only the live sessions of the one user, newest first', async () => {
      await store.sessions.create(newSession('s-old', 'u1', { createdAt: T0 }));
      await store.sessions.create(newSession('s-new', 'u1', { createdAt: T0 + 1 }));
      await store.sessions.create(newSession('s-dead', 'u1', { expiresAt: T0 + 2 }));
      await store.sessions.create(newSession('s-other', 'u2'));
      expect((await store.sessions.listForUser('u1', T0 + 2)).map((s) => s.idHash)).toEqual(['s-new', 's-old']);
      expect(await store.sessions.listForUser('nobody', T0)).toEqual([]);
    });

    it('ends one session and answers false when there was none', async () => {
      await store.sessions.create(newSession('s1', 'u1'));
      await store.sessions.create(newSession('s2', 'u1'));
      expect(await store.sessions.delete('s1')).toBe(true);
      expect(await store.sessions.delete('s1')).toBe(false);
      expect(await store.sessions.findLive('s1', T0)).toBeNull();
      expect(await store.sessions.findLive('s2', T0)).not.toBeNull();
    });

    it('ends every session of a user and counts them, leaving other users signed in', async () => {
      await store.sessions.create(newSession('s1', 'u1'));
      await store.sessions.create(newSession('s2', 'u1', { expiresAt: T0 - 1 }));
      await store.sessions.create(newSession('s3', 'u2'));
      expect(await store.sessions.deleteForUser('u1')).toBe(2);
      expect(await store.sessions.deleteForUser('u1')).toBe(0);
      expect(await store.sessions.listForUser('u2', T0)).toHaveLength(1);
    });
  });

  describe('authorization codes (RFC 6749 §4.1.2 single use)', () => {
    beforeEach(seedUserAndClient);

    it('consumes a code once and returns it with every field and the consumption time', async () => {
      const code = newCode('c1', 'u1', 'rp', { sessionIdHash: 's1', nonce: 'n-0S6', codeChallenge: 'E9Melhoa2Ow', codeChallengeMethod: 'S256' });
      await store.codes.create(code);
      expect(await store.codes.consume('c1', T0 + 1)).toEqual({ ...code, consumedAt: T0 + 1 });
    });

    it('answers null to a second consumption of the same code', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp'));
      expect(await store.codes.consume('c1', T0 + 1)).not.toBeNull();
      expect(await store.codes.consume('c1', T0 + 2)).toBeNull();
    });

    it('answers null for an expired code, from its expiry instant on, and leaves it unused', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp', { expiresAt: T0 + MINUTE }));
      expect(await store.codes.consume('c1', T0 + MINUTE)).toBeNull();
      expect((await store.codes.find('c1'))?.consumedAt).toBeNull();
    });

    it('answers null for an unknown code, and leaves the others unused', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp'));
      expect(await store.codes.consume('nobody', T0)).toBeNull();
      expect(await store.codes.find('nobody')).toBeNull();
      expect((await store.codes.find('c1'))?.consumedAt).toBeNull();
    });

    it('lets exactly one of twenty concurrent redeemers win', async () => {
      await store.codes.create(newCode('c1', 'u1', 'rp'));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.codes.consume('c1', T0 + 1 + i)));
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect((await store.codes.find('c1'))?.consumedAt).toBe(winners[0]?.consumedAt);
    });

    it('finds a code whatever its state, so a replay can be told from garbage', async () => {
      const code = newCode('c1', 'u1', 'rp');
      await store.codes.create(code);
      expect(await store.codes.find('c1')).toEqual({ ...code, consumedAt: null });
      await store.codes.consume('c1', T0 + 5);
      expect(await store.codes.find('c1')).toEqual({ ...code, consumedAt: T0 + 5 });
    });

    it('removes only expired codes and counts them', async () => {
      await store.codes.create(newCode('gone-1', 'u1', 'rp', { expiresAt: T0 }));
      await store.codes.create(newCode('gone-2', 'u2', 'rp', { expiresAt: T0 + 1 }));
      await store.codes.create(newCode('gone-at-now', 'u2', 'rp', { expiresAt: T0 + MINUTE }));
      await store.codes.create(newCode('kept', 'u1', 'rp', { expiresAt: T0 + 10 * MINUTE }));
      // Expired from its expiry instant on, as consume sees it.
      expect(await store.codes.deleteExpired(T0 + MINUTE)).toBe(3);
      expect(await store.codes.find('gone-1')).toBeNull();
      expect(await store.codes.find('gone-2')).toBeNull();
      expect(await store.codes.find('gone-at-now')).toBeNull();
      expect(await store.codes.find('kept')).not.toBeNull();
      expect(await store.codes.deleteExpired(T0 + MINUTE)).toBe(0);
    });
  });

  describe('refresh tokens (RFC 9700 §4.14.2 rotation)', () => {
    beforeEach(seedUserAndClient);

    it('finds a token with every field and neither rotated nor revoked', async () => {
      const token = newToken('r1', 'u1', 'rp', { sessionIdHash: 's1' });
      await store.refreshTokens.create(token);
      expect(await store.refreshTokens.find('r1')).toEqual({ ...token, rotatedAt: null, revokedAt: null });
      expect(await store.refreshTokens.find('nobody')).toBeNull();
    });

    it('rotates a live token once and answers null the second time', async () => {
      const token = newToken('r1', 'u1', 'rp');
      await store.refreshTokens.create(token);
      expect(await store.refreshTokens.rotate('r1', T0 + 1)).toEqual({ ...token, rotatedAt: T0 + 1, revokedAt: null });
      expect(await store.refreshTokens.rotate('r1', T0 + 2)).toBeNull();
      expect((await store.refreshTokens.find('r1'))?.rotatedAt).toBe(T0 + 1);
    });

    it('lets exactly one of twenty concurrent rotations win', async () => {
      await store.refreshTokens.create(newToken('r1', 'u1', 'rp'));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.refreshTokens.rotate('r1', T0 + 1 + i)));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('refuses to rotate a revoked, an expired or an unknown token', async () => {
      await store.refreshTokens.create(newToken('revoked', 'u1', 'rp', { grantId: 'g-revoked' }));
      await store.refreshTokens.create(newToken('expired', 'u1', 'rp', { expiresAt: T0 + MINUTE }));
      await store.refreshTokens.revokeGrant('g-revoked', T0 + 1);
      expect(await store.refreshTokens.rotate('revoked', T0 + 2)).toBeNull();
      expect(await store.refreshTokens.rotate('expired', T0 + MINUTE)).toBeNull();
      expect(await store.refreshTokens.rotate('nobody', T0)).toBeNull();
      expect((await store.refreshTokens.find('expired'))?.rotatedAt).toBeNull();
    });

    it('revokes every unrevoked token of a grant, counts them, and keeps earlier revocation times', async () => {
      await store.refreshTokens.create(newToken('a-rotated', 'u1', 'rp', { grantId: 'g-a' }));
      await store.refreshTokens.create(newToken('a-live', 'u1', 'rp', { grantId: 'g-a' }));
      await store.refreshTokens.create(newToken('a-revoked', 'u2', 'rp', { grantId: 'g-a' }));
      await store.refreshTokens.create(newToken('b-live', 'u1', 'rp', { grantId: 'g-b' }));
      await store.refreshTokens.rotate('a-rotated', T0 + 1);
      expect(await store.refreshTokens.revokeForUser('u2', T0 + 2)).toBe(1);
      expect(await store.refreshTokens.revokeGrant('g-a', T0 + 3)).toBe(2);
      expect(await store.refreshTokens.revokeGrant('g-a', T0 + 4)).toBe(0);
      expect((await store.refreshTokens.find('a-revoked'))?.revokedAt).toBe(T0 + 2);
      expect(await store.refreshTokens.find('a-rotated')).toMatchObject({ rotatedAt: T0 + 1, revokedAt: T0 + 3 });
      expect((await store.refreshTokens.find('b-live'))?.revokedAt).toBeNull();
      expect(await store.refreshTokens.rotate('a-live', T0 + 5)).toBeNull();
      expect(await store.refreshTokens.rotate('b-live', T0 + 5)).not.toBeNull();
    });

    it('revokes every unrevoked token of a user across grants, counts them, and spares other users', async () => {
      await store.refreshTokens.create(newToken('u1-a', 'u1', 'rp', { grantId: 'g-1' }));
      await store.refreshTokens.create(newToken('u1-b', 'u1', 'rp', { grantId: 'g-2' }));
      await store.refreshTokens.create(newToken('u1-old', 'u1', 'rp', { grantId: 'g-3' }));
      await store.refreshTokens.create(newToken('u2-a', 'u2', 'rp', { grantId: 'g-4' }));
      expect(await store.refreshTokens.revokeGrant('g-3', T0 + 1)).toBe(1);
      expect(await store.refreshTokens.revokeForUser('u1', T0 + 2)).toBe(2);
      expect(await store.refreshTokens.revokeForUser('u1', T0 + 3)).toBe(0);
      expect((await store.refreshTokens.find('u1-a'))?.revokedAt).toBe(T0 + 2);
      expect((await store.refreshTokens.find('u1-old'))?.revokedAt).toBe(T0 + 1);
      expect((await store.refreshTokens.find('u2-a'))?.revokedAt).toBeNull();
    });
  });

  describe('audit events', () => {
    const event = (type: string, at: number) => ({ at, type, actor: 'cli', subject: null, ip: null, details: {} });

    it('appends events with increasing ids and reads their details back', async () => {
      const first = await store.audit.append({ at: T0, type: 'user.created', actor: 'cli', subject: 'u1', ip: '203.0.113.7', details: { email: 'a@example.com', roles: ['admin'], n: 1, nested: { ok: true } } });
      const second = await store.audit.append(event('user.deleted', T0 + 1));
      expect(second.id).toBeGreaterThan(first.id);
      expect(first).toEqual({ id: first.id, at: T0, type: 'user.created', actor: 'cli', subject: 'u1', ip: '203.0.113.7', details: { email: 'a@example.com', roles: ['admin'], n: 1, nested: { ok: true } } });
      expect(await store.audit.list({ limit: 10 })).toEqual([second, first]);
    });

    it('lists newest first, a page at a time with `before`', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.audit.append(event(`e.${i}`, T0 + i))).id);
      const first = await store.audit.list({ limit: 2 });
      expect(first.map((e) => e.type)).toEqual(['e.4', 'e.3']);
      const second = await store.audit.list({ before: first[first.length - 1]?.id ?? null, limit: 2 });
      expect(second.map((e) => e.type)).toEqual(['e.2', 'e.1']);
      const third = await store.audit.list({ before: ids[1] ?? null, limit: 2 });
      expect(third.map((e) => e.type)).toEqual(['e.0']);
      expect(await store.audit.list({ before: null, limit: 1 })).toHaveLength(1);
    });
  });

  describe('readiness', () => {
    it('answers a ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('rejects a ping once closed', async () => {
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
});
