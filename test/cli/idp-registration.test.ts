// `idp registration token create | list | revoke` (issue 24) as a child process, on a store of its own on the engine
// under test: the initial access token is printed once and stored only as its hash, listing never shows it, bad
// input is refused in one line with nothing written, and a mode other than DYNAMIC_REGISTRATION=token is warned of.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';

interface CreatedJson {
  token: string;
  id: string;
  uses_left: number | null;
  expires_at: string | null;
}

interface ListedJson {
  tokens: { id: string; uses_left: number | null; used: number; created_by: string; created_at: string; expires_at: string | null; usable: boolean }[];
}

const DAY = 24 * 60 * 60 * 1000;
const CLOSED_WARNING = 'idp: warning: DYNAMIC_REGISTRATION is closed: POST /register refuses every registration; initial access tokens are needed and used only with DYNAMIC_REGISTRATION=token\n';

describe('idp registration token (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  const inTokenMode = () => ({ ...tool.env, DYNAMIC_REGISTRATION: 'token' });
  const idp = (args: string[], env: Record<string, string> = inTokenMode()) => runIdp(args, env);
  const { refused } = cliRefusals(() => tool, { tokens: (store) => store.registrationTokens.list(), audit: writtenReaders.audit });

  beforeEach(async () => {
    tool = await toolStore();
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('creates a token with --uses and --expires, printing {"token","id","uses_left","expires_at"} once; only its hash is stored', async () => {
    const expires = new Date(Date.now() + 30 * DAY).toISOString();
    const result = await idp(['registration', 'token', 'create', '--uses', '5', '--expires', expires, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout) as CreatedJson;
    expect(Object.keys(created)).toEqual(['token', 'id', 'uses_left', 'expires_at']);
    expect(created).toMatchObject({ uses_left: 5, expires_at: expires });
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await tool.withStore((store) => store.registrationTokens.findUsable(hashSecret(created.token), Date.now()));
    expect(stored).toMatchObject({ id: created.id, usesLeft: 5, used: 0, createdBy: 'cli', expiresAt: Date.parse(expires) });
    const contents = await tool.contentsAsText();
    expect(contents).toContain(hashSecret(created.token));
    expect(contents).not.toContain(created.token);
    const [event] = await tool.withStore((store) => store.audit.list({ limit: 1, filter: { type: 'registration_token.created' } }));
    expect(event).toMatchObject({ actor: 'cli', subject: created.id, details: { id: created.id, uses: 5, expires_at: expires } });
  });

  it('creates a token without limits, in text: the token on its own line, and how to use it', async () => {
    const result = await idp(['registration', 'token', 'create']);
    expect(result.code, result.stderr).toBe(0);
    const token = /^token: ([A-Za-z0-9_-]{43})$/m.exec(result.stdout)?.[1] ?? '';
    expect(token).not.toBe('');
    expect(result.stdout).toContain('uses_left: unlimited\nexpires_at: never\n');
    expect(result.stdout).toContain('Authorization: Bearer <token>');
    expect(await tool.withStore((store) => store.registrationTokens.findUsable(hashSecret(token), Date.now()))).toMatchObject({ usesLeft: null, expiresAt: null });
  });

  it('reads an expiry without an offset as UTC, and a bare date as midnight UTC', async () => {
    const day = new Date(Date.now() + 60 * DAY).toISOString().slice(0, 10);
    const noOffset = JSON.parse((await idp(['registration', 'token', 'create', '--expires', `${day}T18:30`, '--json'])).stdout) as CreatedJson;
    expect(noOffset.expires_at).toBe(`${day}T18:30:00.000Z`);
    const bare = JSON.parse((await idp(['registration', 'token', 'create', '--expires', day, '--json'])).stdout) as CreatedJson;
    expect(bare.expires_at).toBe(`${day}T00:00:00.000Z`);
  });

  it('warns on stderr, keeping --json output whole, when DYNAMIC_REGISTRATION is not token', async () => {
    const closed = await idp(['registration', 'token', 'create', '--json'], tool.env);
    expect(closed.code).toBe(0);
    expect(closed.stderr).toBe(CLOSED_WARNING);
    expect(JSON.parse(closed.stdout)).toHaveProperty('token');
    const open = await idp(['registration', 'token', 'list', '--json'], { ...tool.env, DYNAMIC_REGISTRATION: 'open' });
    expect(open.code).toBe(0);
    expect(open.stderr).toBe('idp: warning: DYNAMIC_REGISTRATION is open: POST /register needs no token; initial access tokens are needed and used only with DYNAMIC_REGISTRATION=token\n');
    expect((JSON.parse(open.stdout) as ListedJson).tokens).toHaveLength(1);
  });

  it('lists tokens newest first with their counters, never the tokens', async () => {
    const first = JSON.parse((await idp(['registration', 'token', 'create', '--uses', '1', '--json'])).stdout) as CreatedJson;
    const second = JSON.parse((await idp(['registration', 'token', 'create', '--json'])).stdout) as CreatedJson;
    const listed = await idp(['registration', 'token', 'list', '--json']);
    expect(listed.stderr).toBe('');
    const { tokens } = JSON.parse(listed.stdout) as ListedJson;
    expect(tokens.map((token) => token.id)).toEqual([second.id, first.id]);
    expect(tokens[1]).toMatchObject({ uses_left: 1, used: 0, created_by: 'cli', expires_at: null, usable: true });
    expect(listed.stdout).not.toContain(first.token);
    expect(listed.stdout).not.toContain(second.token);
    const text = await idp(['registration', 'token', 'list']);
    expect(text.stdout).toContain(`${first.id}\t1 use left\tused 0\tnever expires\tby cli`);
    expect(text.stdout).not.toContain(first.token);
    expect((await idp(['registration', 'token', 'revoke', first.id])).code).toBe(0);
    expect((await idp(['registration', 'token', 'revoke', second.id])).code).toBe(0);
    expect((await idp(['registration', 'token', 'list'])).stdout).toBe('(no initial access tokens)\n');
  });

  it('revokes a token by its id (also one that begins with a dash): it no longer works; audited', async () => {
    const created = JSON.parse((await idp(['registration', 'token', 'create', '--json'])).stdout) as CreatedJson;
    const dashed = '-dash-first-token-id-0001';
    await tool.withStore(async (store) => {
      await store.registrationTokens.create({ id: dashed, tokenHash: hashSecret('another token'), usesLeft: null, createdBy: 'cli', createdAt: Date.now(), expiresAt: null });
    });
    const revoked = await idp(['registration', 'token', 'revoke', created.id, '--json']);
    expect(revoked.stderr).toBe('');
    expect(JSON.parse(revoked.stdout)).toEqual({ revoked: true, id: created.id });
    expect(await tool.withStore((store) => store.registrationTokens.findUsable(hashSecret(created.token), Date.now()))).toBeNull();
    expect((await idp(['registration', 'token', 'revoke', dashed])).stdout).toBe(`revoked initial access token ${dashed}\n`);
    const events = await tool.withStore((store) => store.audit.list({ limit: 10, filter: { type: 'registration_token.revoked' } }));
    expect(events.map((event) => [event.actor, event.subject])).toEqual([
      ['cli', dashed],
      ['cli', created.id],
    ]);
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    it.each([
      ['no use at all', ['--uses', '0'], 'the number of uses must be a whole number from 1 to 10,000 (or no limit at all)'],
      ['more than 10,000 uses', ['--uses', '10001'], 'the number of uses must be a whole number from 1 to 10,000 (or no limit at all)'],
      ['uses that are not a number', ['--uses', 'many'], '--uses must be a whole number from 1 to 10000 (leave it out for no limit)'],
      ['a negative number of uses', ['--uses', '-3'], '--uses must be a whole number from 1 to 10000 (leave it out for no limit)'],
      ['an expiry that is not a date', ['--expires', 'tomorrow'], '--expires must be an ISO 8601 date or time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z (got "tomorrow")'],
      ['a day that does not exist', ['--expires', '2031-02-30'], '--expires must be an ISO 8601 date or time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z (got "2031-02-30")'],
      ['an expiry in the past', ['--expires', '2020-01-01T00:00:00Z'], 'the expiry must be in the future'],
      ['an expiry beyond a year', ['--expires', new Date(Date.now() + 400 * DAY).toISOString()], 'the expiry must be within a year from now'],
    ])('refuses %s', async (_what, args, message) => {
      await refused(['registration', 'token', 'create', ...args], message);
    });

    it('refuses to revoke an unknown token', async () => {
      await idp(['registration', 'token', 'create']);
      await refused(['registration', 'token', 'revoke', 'no-such-token'], 'no initial access token "no-such-token"');
    });

    it('refuses an unknown option rather than ignoring it', async () => {
      const result = await idp(['registration', 'token', 'create', '--usess', '3']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain("unknown option '--usess'");
      expect(await tool.withStore((store) => store.registrationTokens.list())).toEqual([]);
    });
  });
});
