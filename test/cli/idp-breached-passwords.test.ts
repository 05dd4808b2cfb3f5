// `idp user create` and `idp user set-password` (child processes, on the engine under test) with
// BREACHED_PASSWORDS_FILE: a password found in the corpus is refused with the reason every form gives, on one line
// of stderr and exit code 1, and nothing is written; a corpus that cannot be used stops the command (fails closed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { corpusOf } from '../helpers/breach-corpus.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';
import { PASSPHRASE } from '../http/password-reasons-cases.js';

const BREACHED = 'marmalade lighthouse over seven winters';

describe('idp user with BREACHED_PASSWORDS_FILE', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-breach-cli-'));
  const corpus = path.join(dir, 'corpus.txt');
  let tool: ToolStore;
  const idp = (args: string[], stdin?: string, env: Record<string, string> = { BREACHED_PASSWORDS_FILE: corpus }) => runIdp(args, { ...tool.env, ...env }, stdin);
  const users = () => tool.withStore(async (store) => store.users.count());

  beforeAll(async () => {
    corpusOf(corpus, [BREACHED], 500, { crlf: true });
    tool = await toolStore();
  });
  afterAll(async () => {
    await tool?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a breached password for a new user and as a new password, writing nothing', async () => {
    const before = await users();
    const refused = await idp(['user', 'create', '--email', 'breach@example.com', '--password-stdin'], BREACHED);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('idp: the password is on a list of passwords seen in breaches\n');
    expect(await users()).toBe(before);

    const created = await idp(['user', 'create', '--email', 'breach@example.com', '--password-stdin', '--json'], PASSPHRASE);
    expect(created.code, created.stderr).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const set = await idp(['user', 'set-password', id, '--password-stdin'], BREACHED);
    expect(set.code).toBe(1);
    expect(set.stderr).toBe('idp: the password is on a list of passwords seen in breaches\n');
    expect(await tool.withStore(async (store) => verifyPassword((await store.users.findById(id))?.passwordHash ?? '', PASSPHRASE))).toBe(true);
  });

  it('stops with the variable named when the corpus cannot be used', async () => {
    const result = await idp(['user', 'list'], undefined, { BREACHED_PASSWORDS_FILE: path.join(dir, 'missing.txt') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^idp: configuration error: BREACHED_PASSWORDS_FILE cannot be opened: ENOENT/);
  });
});
