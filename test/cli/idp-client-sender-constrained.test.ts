// `idp client …` for issue 28 as child processes: `create --require-par --dpop-bound` and `update --[no-]require-par
// --[no-]dpop-bound` (RFC 9126 §6 require_pushed_authorization_requests, RFC 9449 §5.2 dpop_bound_access_tokens),
// shown by `show` and `list`, read back through the store as the running server reads it. Every refusal exits 1 with
// one line on stderr and writes nothing. On both engines, as every `idp` suite (test/helpers/cli-store.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import type { Store } from '../../src/store/store.js';
import { runIdpJson, toolStore, type ClientJsonBase, type ToolStore } from '../helpers/cli-store.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { runIdp } from '../helpers/processes.js';

interface ClientJson extends ClientJsonBase {
  require_pushed_authorization_requests: boolean;
  dpop_bound_access_tokens: boolean;
  changed?: string[];
}

describe('idp client --require-par / --dpop-bound (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  const idp = (args: string[]) => runIdp(args, tool.env);
  const ok = (args: string[]) => runIdpJson<ClientJson>(args, tool.env);
  const withStore = <T>(read: (store: Store) => Promise<T>) => tool.withStore(read);
  const stored = (clientId: string) => withStore((store) => store.clients.findById(clientId));
  const lastEvent = () => withStore(async (store) => (await store.audit.list({ limit: 1 }))[0]);
  const { refused } = cliRefusals(() => tool, { clients: writtenReaders.clients, audit: writtenReaders.audit });
  const create = (extra: string[] = []) => ok(['client', 'create', '--name', 'Bank app', '--redirect-uri', 'https://bank.example/cb', ...extra, '--json']);

  beforeEach(async () => {
    tool = await toolStore('sqlite');
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('registers a client with neither rule by default and shows both as false', async () => {
    const client = await create();
    expect(client).toMatchObject({ require_pushed_authorization_requests: false, dpop_bound_access_tokens: false });
    const shown = await idp(['client', 'show', client.client_id]);
    expect(shown.stdout).toContain('\nrequire_pushed_authorization_requests: false\ndpop_bound_access_tokens: false\n');
    expect((await idp(['client', 'list'])).stdout).toBe(`${client.client_id}\tBank app\tconfidential\n`);
  });

  it('registers a public client with --require-par --dpop-bound: stored, shown by show and list, audited', async () => {
    const client = await create(['--public', '--require-par', '--dpop-bound']);
    expect(client).toMatchObject({ client_type: 'public', require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
    expect(await stored(client.client_id)).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
    expect(JSON.parse((await idp(['client', 'show', '--json', client.client_id])).stdout)).toMatchObject({
      require_pushed_authorization_requests: true,
      dpop_bound_access_tokens: true,
    });
    expect((await idp(['client', 'list'])).stdout).toBe(`${client.client_id}\tBank app\tpublic\trequires PAR\tDPoP-bound\n`);
    expect(await lastEvent()).toMatchObject({ type: 'client.created', details: { require_pushed_authorization_requests: true, dpop_bound_access_tokens: true } });
  });

  it('turns each rule on and off with update, the other kept, auditing what changed', async () => {
    const client = await create();
    const on = await ok(['client', 'update', client.client_id, '--require-par', '--dpop-bound', '--json']);
    expect(on).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true, changed: ['require_pushed_authorization_requests', 'dpop_bound_access_tokens'] });
    expect(await lastEvent()).toMatchObject({ type: 'client.updated', details: { changed: ['require_pushed_authorization_requests', 'dpop_bound_access_tokens'] } });
    const off = await ok(['client', 'update', client.client_id, '--no-dpop-bound', '--json']);
    expect(off).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: false, changed: ['dpop_bound_access_tokens'] });
    const text = await idp(['client', 'update', client.client_id, '--no-require-par']);
    expect(text.stdout).toBe(`client ${client.client_id}: first-party (require_pushed_authorization_requests changed)\n`);
    expect(await stored(client.client_id)).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false });
    // Already off: no change, nothing written.
    const events = await withStore((store) => store.audit.count({}));
    expect((await idp(['client', 'update', client.client_id, '--no-require-par'])).stdout).toBe(`client ${client.client_id}: no change\n`);
    expect(await withStore((store) => store.audit.count({}))).toBe(events);
  });

  it('lets a machine client require DPoP, and refuses PAR for it, writing nothing', async () => {
    const machine = await ok(['client', 'create', '--name', 'Job', '--machine', '--dpop-bound', '--json']);
    expect(machine).toMatchObject({ dpop_bound_access_tokens: true, require_pushed_authorization_requests: false });
    await refused(
      ['client', 'create', '--name', 'Job', '--machine', '--require-par', '--json'],
      'a machine client makes no authorization request (client credentials only): there is nothing to push',
    );
    await refused(['client', 'update', machine.client_id, '--require-par'], /^idp: a machine client makes no authorization request/);
  });

  it("offers the flags README's `idp client` reference names, with their help", async () => {
    const readme = readFileSync(path.join(packageRoot, 'README.md'), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| `idp client create … [--require-par] [--dpop-bound]`'));
    expect(row).toBeDefined();
    const create = (await idp(['client', 'create', '--help'])).stdout;
    const update = (await idp(['client', 'update', '--help'])).stdout;
    for (const flag of ['--require-par', '--dpop-bound']) {
      expect(create).toContain(flag);
      expect(update).toContain(flag);
    }
    for (const flag of ['--no-require-par', '--no-dpop-bound']) {
      expect(row).toContain(flag);
      expect(update).toContain(flag);
    }
  });

  it('refuses a device-only client that must push, and an update with nothing to change, writing nothing', async () => {
    await refused(['client', 'create', '--name', 'TV', '--device', '--require-par'], /^idp: this client uses only the device flow/);
    const client = await create();
    await refused(['client', 'update', client.client_id], /^idp: give at least one of .*--\[no-\]require-par, --\[no-\]dpop-bound\n$/);
  });
});
