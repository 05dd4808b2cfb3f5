// `idp admin token create | list | revoke` (issue 26) as a child process, on a store of its own on the engine under
// test: the personal token is printed once as {"token": "gat_…"} and stored only as its hash, listing never shows it,
// it acts as the operator or as an enabled administrator, and bad input is refused in one line with nothing written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { MANAGE_SCOPES } from '../../src/store/records.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';

interface TokenJson {
  id: string;
  user_id: string | null;
  scopes: string[];
  description: string | null;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  state: 'live' | 'expired' | 'revoked';
}

const DAY = 24 * 60 * 60 * 1000;
// The people here never sign in: no password anyone could type hashes to this.
const UNUSABLE_HASH = '$argon2id$v=19$none';

describe('idp admin token (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  const idp = (args: string[]) => runIdp(args, tool.env);
  const created = async (args: string[] = []) => {
    const result = await idp(['admin', 'token', 'create', ...args, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as TokenJson & { token: string };
  };
  const { refused } = cliRefusals(() => tool, { tokens: (store) => store.adminTokens.list(), audit: writtenReaders.audit });

  beforeEach(async () => {
    tool = await toolStore();
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('creates a token for the operator with every scope and a 90-day expiry, printed once as {"token": …}; only its hash is stored; audited', async () => {
    const before = Date.now();
    const token = await created();
    expect(token.token).toMatch(/^gat_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ user_id: null, scopes: [...MANAGE_SCOPES], created_by: 'cli', revoked_at: null, last_used_at: null, state: 'live' });
    expect(Date.parse(token.expires_at) - before).toBeGreaterThanOrEqual(90 * DAY);
    expect(Date.parse(token.expires_at) - Date.now()).toBeLessThanOrEqual(90 * DAY);
    const stored = await tool.withStore((store) => store.adminTokens.findLive(hashSecret(token.token), Date.now()));
    expect(stored).toMatchObject({ id: token.id, userId: null, createdBy: 'cli' });
    const contents = await tool.contentsAsText();
    expect(contents).toContain(hashSecret(token.token));
    expect(contents).not.toContain(token.token);
    const [event] = await tool.withStore((store) => store.audit.list({ limit: 1, filter: { type: 'admin_token.created' } }));
    expect(event).toMatchObject({ actor: 'cli', subject: token.id, details: { id: token.id, user_id: null, scopes: [...MANAGE_SCOPES], expires_at: token.expires_at } });
    expect(JSON.stringify(event)).not.toContain(token.token);
  });

  it('creates a token acting as an enabled administrator, with chosen scopes, an expiry and a description; in text the token on its own line', async () => {
    const admin = await tool.withStore((store) =>
      store.users.create({ id: 'admin-1', email: 'admin@example.com', name: null, passwordHash: UNUSABLE_HASH, isAdmin: true, disabled: false, emailVerified: true }, Date.now()),
    );
    const expires = new Date(Date.now() + 7 * DAY).toISOString();
    const token = await created(['--user', 'admin@example.com', '--scope', 'manage:users', '--scope', 'manage:groups', '--expires', expires, '--description', 'provisioning']);
    expect(token).toMatchObject({ user_id: admin.id, scopes: ['manage:users', 'manage:groups'], expires_at: expires, description: 'provisioning' });
    const text = await idp(['admin', 'token', 'create', '--user', admin.id, '--scope', 'manage:keys']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^token: gat_[A-Za-z0-9_-]{43}$/m);
    expect(text.stdout).toContain(`acts as: ${admin.id}\nscopes: manage:keys\n`);
    expect(text.stdout).toContain('Authorization: Bearer <token>');
  });

  it('lists tokens newest first, never the tokens; revokes one by its id at once; audited', async () => {
    const first = await created(['--description', 'first']);
    const second = await created(['--scope', 'manage:apis']);
    const listed = await idp(['admin', 'token', 'list', '--json']);
    expect(listed.stderr).toBe('');
    const { tokens } = JSON.parse(listed.stdout) as { tokens: TokenJson[] };
    expect(tokens.map((token) => token.id)).toEqual([second.id, first.id]);
    expect(tokens[1]).toMatchObject({ description: 'first', state: 'live', scopes: [...MANAGE_SCOPES] });
    expect(listed.stdout).not.toContain(first.token);
    const text = await idp(['admin', 'token', 'list']);
    expect(text.stdout).toContain(`${second.id}\tas cli\tmanage:apis\texpires ${second.expires_at}\tlast used never\n`);
    expect(text.stdout).not.toContain(second.token);

    const revoked = await idp(['admin', 'token', 'revoke', first.id, '--json']);
    expect(revoked.stderr).toBe('');
    expect(JSON.parse(revoked.stdout)).toMatchObject({ revoked: true, id: first.id });
    expect(await tool.withStore((store) => store.adminTokens.findLive(hashSecret(first.token), Date.now()))).toBeNull();
    const after = JSON.parse((await idp(['admin', 'token', 'list', '--json'])).stdout) as { tokens: TokenJson[] };
    expect(after.tokens.find((token) => token.id === first.id)).toMatchObject({ state: 'revoked' });
    const [event] = await tool.withStore((store) => store.audit.list({ limit: 1, filter: { type: 'admin_token.revoked' } }));
    expect(event).toMatchObject({ actor: 'cli', subject: first.id });
    await refused(['admin', 'token', 'revoke', first.id], `the admin token ${first.id} has already been revoked`);
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    it.each([
      ['an unknown scope', ['--scope', 'manage:everything'], '"manage:everything" is not a management scope: use manage:users, manage:groups, manage:clients, manage:apis, manage:keys'],
      ['an expiry that is not a date', ['--expires', 'soon'], '--expires must be an ISO 8601 date or time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z (got "soon")'],
      ['an expiry in the past', ['--expires', '2020-01-01T00:00:00Z'], 'the expiry must be in the future'],
      ['an expiry beyond a year', ['--expires', new Date(Date.now() + 400 * DAY).toISOString()], 'the expiry must be within a year from now'],
      ['an unknown user', ['--user', 'nobody@example.com'], 'no user "nobody@example.com"'],
      ['a description with a line break', ['--description', 'two\nlines'], 'the description must not contain control characters'],
    ])('refuses %s', async (_what, args, message) => {
      await refused(['admin', 'token', 'create', ...args], message);
    });

    it('refuses a user who is not an enabled administrator', async () => {
      await tool.withStore(async (store) => {
        const now = Date.now();
        await store.users.create({ id: 'plain', email: 'plain@example.com', name: null, passwordHash: UNUSABLE_HASH, isAdmin: false, disabled: false, emailVerified: true }, now);
        await store.users.create({ id: 'boss', email: 'boss@example.com', name: null, passwordHash: UNUSABLE_HASH, isAdmin: true, disabled: false, emailVerified: true }, now);
        await store.users.create({ id: 'off', email: 'off@example.com', name: null, passwordHash: UNUSABLE_HASH, isAdmin: true, disabled: true, emailVerified: true }, now);
      });
      await refused(['admin', 'token', 'create', '--user', 'plain@example.com'], 'plain@example.com is not an enabled administrator: a personal token acts only as one');
      await refused(['admin', 'token', 'create', '--user', 'off'], 'off@example.com is not an enabled administrator: a personal token acts only as one');
    });

    it('refuses to revoke an unknown token, and an unknown option', async () => {
      await refused(['admin', 'token', 'revoke', 'no-such-token'], 'no admin token "no-such-token"');
      const result = await idp(['admin', 'token', 'create', '--scopes', 'manage:users']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("unknown option '--scopes'");
      expect(await tool.withStore((store) => store.adminTokens.list())).toEqual([]);
    });
  });
});
