// `idp user create` and `idp user set-password` (child processes, on the engine under test) under the password
// policy of issue 20 (NIST SP 800-63B-4 §3.1.1.2 at any minimum length): every repetitive, sequential or
// context-specific password is refused with its reason on one line of stderr and exit code 1, and writes nothing;
// a long random passphrase is accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';
import { PASSPHRASE, PERSON_NAME, refusedPasswords } from '../http/password-reasons-cases.js';

describe('idp user: a password is refused with its reason', () => {
  let tool: ToolStore;
  const idp = (args: string[], stdin?: string) => runIdp(args, tool.env, stdin);
  const counts = () => tool.withStore(async (store) => ({ users: await store.users.count(), audit: (await store.audit.list({ limit: 1000 })).length }));

  beforeAll(async () => {
    tool = await toolStore();
  });
  afterAll(async () => {
    await tool?.drop();
  });

  /** The one line `idp` printed for a refused password, checked for its form and its exit code. */
  function refusal(result: { code: number | null; stdout: string; stderr: string }, password: string): string {
    expect(result.code, password).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n'), password).toHaveLength(1);
    expect(result.stderr).not.toContain(password);
    return result.stderr;
  }

  it('refuses each password of the issue, and those built on the name, the issuer host or "Gatehouse", when creating a user', async () => {
    const before = await counts();
    for (const [password, reason] of refusedPasswords(tool.config.issuer)) {
      const result = await idp(['user', 'create', '--email', 'countess@example.com', '--name', PERSON_NAME, '--password-stdin'], password);
      expect(refusal(result, password), password).toBe(`idp: the password ${reason}\n`);
    }
    expect(await counts()).toEqual(before);

    const created = await idp(['user', 'create', '--email', 'countess@example.com', '--name', PERSON_NAME, '--password-stdin', '--json'], PASSPHRASE);
    expect(created.code, created.stderr).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    expect(await tool.withStore(async (store) => verifyPassword((await store.users.findById(id))?.passwordHash ?? '', PASSPHRASE))).toBe(true);
  });

  it('refuses each of them as a new password, and the old one stays', async () => {
    const created = await idp(['user', 'create', '--email', 'countess.again@example.com', '--name', PERSON_NAME, '--password-stdin', '--json'], PASSPHRASE);
    expect(created.code, created.stderr).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const hash = async () => tool.withStore(async (store) => (await store.users.findById(id))?.passwordHash ?? '');
    const before = { hash: await hash(), counts: await counts() };
    for (const [password, reason] of refusedPasswords(tool.config.issuer)) {
      const result = await idp(['user', 'set-password', 'countess.again@example.com', '--password-stdin'], password);
      expect(refusal(result, password), password).toBe(`idp: the password ${reason}\n`);
    }
    expect(await hash()).toBe(before.hash);
    expect(await counts()).toEqual(before.counts);

    const another = 'walnut tundra saxophone pickle marble';
    const set = await idp(['user', 'set-password', id, '--password-stdin'], another);
    expect(set.code, set.stderr).toBe(0);
    expect(await verifyPassword(await hash(), another)).toBe(true);
  });
});
