// `idp user …` as a child process, on a store of its own on the engine under test (test/helpers/cli-store.ts):
// what the tool writes is read back through the store, as the running server would read it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { argon2Parameters } from '../helpers/argon2.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { waitForMail } from '../helpers/outbox.js';
import { runIdp } from '../helpers/processes.js';

const GOOD_PASSWORD = 'correct horse battery staple';

describe('idp user (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  /** Extra configuration for the next commands (PASSWORD_MIN_LENGTH). */
  let extraEnv: Record<string, string>;
  const idp = (args: string[], stdin?: string) => runIdp(args, { ...tool.env, ...extraEnv }, stdin);
  const withStore: ToolStore['withStore'] = (read) => tool.withStore(read);
  const counts = () =>
    withStore(async (store) => ({
      users: (await store.users.list({ limit: 1000 })).items.length,
      audit: (await store.audit.list({ limit: 1000 })).length,
    }));

  beforeEach(async () => {
    tool = await toolStore();
    extraEnv = {};
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('mails the new account a link to verify its address, to DATA_DIR/outbox when SMTP_URL is unset', async () => {
    const result = await idp(['user', 'create', '--email', 'grace@example.com', '--password', GOOD_PASSWORD, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const mail = await waitForMail(tool.env.DATA_DIR ?? '', 'grace@example.com', { subject: /^Verify your email address/ });
    const link = mail.links.find((url) => /\/verify-email\?token=[A-Za-z0-9_-]{43}$/.test(url));
    expect(link, mail.text).toBeDefined();
    const id = String((JSON.parse(result.stdout) as Record<string, unknown>).id);
    const token = new URL(link ?? '').searchParams.get('token') ?? '';
    expect(await withStore((store) => store.accountTokens.findLive(hashSecret(token), 'email_verification', Date.now()))).toMatchObject({ userId: id, email: 'grace@example.com' });
  });

  it('creates an admin and prints its id and email as JSON', async () => {
    const result = await idp(['user', 'create', '--email', 'Ada@Example.com', '--password', GOOD_PASSWORD, '--name', 'Ada Lovelace', '--admin', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const user = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(user).toMatchObject({ email: 'Ada@Example.com', name: 'Ada Lovelace', admin: true, disabled: false, email_verified: false });
    expect(user.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(user)).not.toContain('argon2');
    const stored = await withStore((store) => store.users.findById(String(user.id)));
    // In the canonical PHC order m,t,p (src/auth/phc.ts), which other argon2 implementations read.
    expect(argon2Parameters(stored?.passwordHash)).toEqual({ algorithm: 'argon2id', version: 19, m: 19456, t: 2, p: 1 });
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored?.passwordHash ?? '', GOOD_PASSWORD)).toBe(true);
    const events = await withStore((store) => store.audit.list({ limit: 10 }));
    expect(events[0]).toMatchObject({ type: 'user.created', actor: 'cli', subject: user.id });
  });

  it('reads the password from standard input with --password-stdin', async () => {
    const result = await idp(['user', 'create', '--email', 'grace@example.com', '--password-stdin', '--json'], `${GOOD_PASSWORD}\n`);
    expect(result.code).toBe(0);
    const { id } = JSON.parse(result.stdout) as { id: string };
    const stored = await withStore((store) => store.users.findById(id));
    expect(await verifyPassword(stored?.passwordHash ?? '', GOOD_PASSWORD)).toBe(true);
  });

  it('gives every user a different random id', async () => {
    const a = JSON.parse((await idp(['user', 'create', '--email', 'a1@example.com', '--password', GOOD_PASSWORD, '--json'])).stdout) as { id: string };
    const b = JSON.parse((await idp(['user', 'create', '--email', 'b1@example.com', '--password', GOOD_PASSWORD, '--json'])).stdout) as { id: string };
    expect(a.id).not.toBe(b.id);
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    beforeEach(async () => {
      expect((await idp(['user', 'create', '--email', 'taken@example.com', '--password', GOOD_PASSWORD])).code).toBe(0);
      // "Writes nothing" below is measured on the store the tool wrote this user to.
      expect((await counts()).users).toBe(1);
    });

    const cases: [string, string[], string | undefined, RegExp][] = [
      ['a duplicate email, whatever its case', ['--email', 'TAKEN@example.com', '--password', GOOD_PASSWORD], undefined, /already exists/],
      ['a malformed email', ['--email', 'not-an-email', '--password', GOOD_PASSWORD], undefined, /not a valid email address/],
      ['a password shorter than PASSWORD_MIN_LENGTH', ['--email', 'new@example.com', '--password', 'short-password'], undefined, /at least 15 characters/],
      ['a password longer than 256 characters', ['--email', 'new@example.com', '--password', 'x'.repeat(257)], undefined, /at most 256 characters/],
      ['a password that contains the email local part', ['--email', 'margaret@example.com', '--password', 'my name is MARGARET ok'], undefined, /name part of the email/],
      ['a password equal to the email local part', ['--email', 'correcthorsebatterystaple@example.com', '--password', 'correcthorsebatterystaple'], undefined, /name part of the email/],
      ['both --password and --password-stdin', ['--email', 'new@example.com', '--password', GOOD_PASSWORD, '--password-stdin'], GOOD_PASSWORD, /either --password or --password-stdin/],
      ['no password at all', ['--email', 'new@example.com'], undefined, /a password is required/],
    ];
    for (const [what, args, stdin, message] of cases) {
      it(`refuses ${what}`, async () => {
        const before = await counts();
        const result = await idp(['user', 'create', ...args], stdin);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(message);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).not.toMatch(/\n\s+at /);
        expect(await counts()).toEqual(before);
      });
    }

    it('refuses a password seen in breaches when the minimum length is lowered to 8', async () => {
      extraEnv.PASSWORD_MIN_LENGTH = '8';
      const before = await counts();
      const result = await idp(['user', 'create', '--email', 'new@example.com', '--password', 'baseball1']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('idp: the password is on a list of passwords seen in breaches\n');
      expect(await counts()).toEqual(before);
      expect((await idp(['user', 'create', '--email', 'new@example.com', '--password', 'Tr0ub4dor&3x'])).code).toBe(0);
    });

    it('refuses a bad configuration before touching anything', async () => {
      extraEnv.PASSWORD_MIN_LENGTH = '4';
      const result = await idp(['user', 'create', '--email', 'new@example.com', '--password', GOOD_PASSWORD]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^idp: configuration error: PASSWORD_MIN_LENGTH must be a whole number from 8 to 64/);
    });
  });

  describe('managing an existing user by email or id', () => {
    let id: string;
    beforeEach(async () => {
      id = (JSON.parse((await idp(['user', 'create', '--email', 'Lin@Example.com', '--password', GOOD_PASSWORD, '--json'])).stdout) as { id: string }).id;
    });

    it('shows a user found by email in any case, or by id', async () => {
      const byEmail = JSON.parse((await idp(['user', 'show', 'lin@example.COM', '--json'])).stdout) as { id: string };
      const byId = JSON.parse((await idp(['user', 'show', '--json', id])).stdout) as { email: string };
      expect(byEmail.id).toBe(id);
      expect(byId.email).toBe('Lin@Example.com');
    });

    it('takes an id that begins with a dash (one in 64 random ids does) as the id, and a double-dash word as an unknown option', async () => {
      const dashed = '-dash-first-user-id-01';
      await withStore(async (store) => {
        await store.users.create({ id: dashed, email: 'dash@example.com', name: null, passwordHash: 'x', isAdmin: false, disabled: false, emailVerified: false }, 0);
      });
      const shown = await idp(['user', 'show', dashed, '--json']);
      expect(shown.stderr).toBe('');
      expect(JSON.parse(shown.stdout)).toMatchObject({ id: dashed, email: 'dash@example.com' });
      expect(JSON.parse((await idp(['user', 'disable', '--json', dashed])).stdout)).toMatchObject({ id: dashed, disabled: true });
      const typo = await idp(['user', 'show', id, '--jsno']);
      expect(typo.code).toBe(1);
      expect(typo.stderr).toContain("unknown option '--jsno'");
    });

    it('lists users, in JSON and as text', async () => {
      const json = JSON.parse((await idp(['user', 'list', '--json'])).stdout) as { users: { id: string }[]; next: string | null };
      expect(json.users.map((u) => u.id)).toEqual([id]);
      expect(json.next).toBeNull();
      expect((await idp(['user', 'list'])).stdout).toContain('Lin@Example.com');
    });

    it('pages through users with --limit and --after, and refuses a bad --limit', async () => {
      expect((await idp(['user', 'create', '--email', 'zed@example.com', '--password', GOOD_PASSWORD])).code).toBe(0);
      const first = JSON.parse((await idp(['user', 'list', '--limit', '1', '--json'])).stdout) as { users: { email: string }[]; next: string };
      expect(first.users.map((u) => u.email)).toEqual(['Lin@Example.com']);
      expect((await idp(['user', 'list', '--limit', '1'])).stdout).toContain(`(more: --after ${first.next})`);
      const second = JSON.parse((await idp(['user', 'list', '--limit', '1', '--after', first.next, '--json'])).stdout) as { users: { email: string }[]; next: string | null };
      expect(second).toEqual({ users: [expect.objectContaining({ email: 'zed@example.com' })], next: null });
      for (const bad of ['0', '1001', 'ten']) {
        const result = await idp(['user', 'list', '--limit', bad]);
        expect(result.code, bad).toBe(1);
        expect(result.stderr, bad).toBe('idp: --limit must be a whole number from 1 to 1000\n');
      }
      const badCursor = await idp(['user', 'list', '--after', 'not-a-cursor']);
      expect(badCursor.code).toBe(1);
      expect(badCursor.stderr).toBe('idp: the page cursor is not valid\n');
    });

    it('disables and enables a user', async () => {
      expect(JSON.parse((await idp(['user', 'disable', '--json', id])).stdout)).toMatchObject({ disabled: true });
      expect(await withStore(async (store) => (await store.users.findById(id))?.disabled)).toBe(true);
      expect(JSON.parse((await idp(['user', 'enable', 'lin@example.com', '--json'])).stdout)).toMatchObject({ disabled: false });
    });

    it('sets a new password that then verifies, and refuses a weak one', async () => {
      const newPassword = 'a completely different passphrase';
      expect((await idp(['user', 'set-password', '--password-stdin', id], newPassword)).code).toBe(0);
      const hash = await withStore(async (store) => (await store.users.findById(id))?.passwordHash ?? '');
      expect(await verifyPassword(hash, newPassword)).toBe(true);
      const weak = await idp(['user', 'set-password', '--password', 'lin-is-my-name-ok!', id]);
      expect(weak.code).toBe(1);
      expect(weak.stderr).toMatch(/name part of the email/);
      expect(await withStore(async (store) => (await store.users.findById(id))?.passwordHash)).toBe(hash);
    });

    it('deletes a user, after which it is unknown', async () => {
      expect(JSON.parse((await idp(['user', 'delete', '--json', id])).stdout)).toEqual({ deleted: true, id, email: 'Lin@Example.com' });
      const shown = await idp(['user', 'show', id]);
      expect(shown.code).toBe(1);
      expect(shown.stderr).toBe(`idp: no user "${id}"\n`);
    });

    it('refuses to act on an unknown user, and writes nothing', async () => {
      for (const command of ['show', 'disable', 'enable', 'delete']) {
        const before = await counts();
        const result = await idp(['user', command, 'nobody@example.com']);
        expect(result.code, command).toBe(1);
        expect(result.stderr, command).toBe('idp: no user "nobody@example.com"\n');
        expect(await counts()).toEqual(before);
      }
      const result = await idp(['user', 'set-password', 'nobody@example.com', '--password', GOOD_PASSWORD]);
      expect(result.code).toBe(1);
    });
  });

  it("resets a user's second factors with reset-mfa, auditing it, and says when there is no such user", async () => {
    const created = await idp(['user', 'create', '--email', 'lost@example.com', '--password', GOOD_PASSWORD, '--json']);
    const { id } = JSON.parse(created.stdout) as { id: string };
    await withStore(async (store) => {
      await store.totp.begin({ userId: id, sealedSecret: 'v1.a.b.c', createdAt: Date.now() });
      await store.totp.confirm(id, 1, Date.now());
      await store.recoveryCodes.replace(id, ['hash-one', 'hash-two'], Date.now());
    });
    const result = await idp(['user', 'reset-mfa', 'lost@example.com', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id, email: 'lost@example.com', totp_removed: true, recovery_codes_removed: 2, passkeys_removed: 0 });
    expect(await withStore((store) => store.totp.find(id))).toBeNull();
    const [event] = await withStore((store) => store.audit.list({ limit: 1, filter: { type: 'user.second_factors_reset' } }));
    expect(event).toMatchObject({ actor: 'cli', subject: id });
    const missing = await idp(['user', 'reset-mfa', 'nobody@example.com']);
    expect(missing.code).toBe(1);
  });
});
