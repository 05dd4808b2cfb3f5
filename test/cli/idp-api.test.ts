// `idp api …` (issue 22) as child processes, on a store of their own on the engine under test (test/helpers/cli-store.ts):
// what the tool writes is read back through the store, as the running server would read it; every refusal exits 1 with
// one line on stderr and writes nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { runIdpJson, toolStore, type ToolStore } from '../helpers/cli-store.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { runIdp } from '../helpers/processes.js';

interface ApiJson {
  id: string;
  name: string;
  identifier: string;
  scopes: { name: string; description: string }[];
  token_lifetime: number | null;
  token_format: string;
  accepts: string;
  applications?: { client_id: string; client_name: string; roles: string[] }[];
  changed?: string[];
}

const ORDERS = 'https://api.example.com/orders';

describe('idp api (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  const idp = (args: string[]) => runIdp(args, tool.env);
  const withStore = <T>(read: (store: Store) => Promise<T>) => tool.withStore(read);
  const ok = <T>(args: string[]) => runIdpJson<T>(args, tool.env);
  /** Everything these commands may write: APIs, clients and their grants, the audit log. */
  const { refused } = cliRefusals(() => tool, { apis: writtenReaders.apis, clients: writtenReaders.clients, grants: writtenReaders.grants, audit: writtenReaders.audit });
  const lastEvent = () => withStore(async (store) => (await store.audit.list({ limit: 1 }))[0]);
  const createOrders = () => ok<ApiJson>(['api', 'create', '--name', 'Orders', '--identifier', ORDERS, '--scope', 'orders:read=Read your orders', '--scope', 'orders:write', '--json']);

  beforeEach(async () => {
    tool = await toolStore();
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('creates an API with its scopes and the defaults, printed as JSON or text, audited with the actor cli', async () => {
    const created = await createOrders();
    expect(created).toMatchObject({
      name: 'Orders',
      identifier: ORDERS,
      scopes: [
        { name: 'orders:read', description: 'Read your orders' },
        { name: 'orders:write', description: '' },
      ],
      token_lifetime: null,
      token_format: 'jwt',
      accepts: 'both',
    });
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await withStore((store) => store.apis.findByIdentifier(ORDERS))).toMatchObject({ id: created.id, name: 'Orders', tokenFormat: 'jwt', accepts: 'both' });
    expect(await lastEvent()).toMatchObject({ type: 'api.created', actor: 'cli', subject: created.id, details: { identifier: ORDERS, scopes: ['orders:read', 'orders:write'] } });
    const text = await idp([
      'api',
      'create',
      '--name',
      'Billing',
      '--identifier',
      'https://billing.example',
      '--scope',
      'billing',
      '--token-lifetime',
      '300',
      '--token-format',
      'opaque',
      '--accepts',
      'machines',
    ]);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^created API Billing \([A-Za-z0-9_-]{22}\)\nidentifier: https:\/\/billing.example\n$/);
    expect(await withStore((store) => store.apis.findByIdentifier('https://billing.example'))).toMatchObject({ tokenLifetime: 300, tokenFormat: 'opaque', accepts: 'machines' });
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    beforeEach(async () => {
      await createOrders();
    });

    it('a taken identifier', () => refused(['api', 'create', '--name', 'Again', '--identifier', ORDERS, '--scope', 'x'], `an API with the identifier ${ORDERS} already exists`));
    it('no scope', () => refused(['api', 'create', '--name', 'N', '--identifier', 'https://n.example'], 'give at least one --scope'));
    it('an OpenID Connect scope, a bad scope name, a scope twice', async () => {
      await refused(['api', 'create', '--name', 'N', '--identifier', 'https://n.example', '--scope', 'openid'], /the scope "openid" belongs to OpenID Connect/);
      await refused(['api', 'create', '--name', 'N', '--identifier', 'https://n.example', '--scope', 'two words'], /is not a valid scope name/);
      await refused(['api', 'create', '--name', 'N', '--identifier', 'https://n.example', '--scope', 'a', '--scope', 'a=again'], 'the scope a is listed twice');
    });
    it('an identifier that is not an https URI', async () => {
      await refused(['api', 'create', '--name', 'N', '--identifier', 'orders', '--scope', 'a'], 'identifier "orders" is not an absolute URL');
      await refused(['api', 'create', '--name', 'N', '--identifier', 'http://api.example.com', '--scope', 'a'], /uses http on a host that is not loopback/);
      await refused(['api', 'create', '--name', 'N', '--identifier', 'https://api.example.com/#x', '--scope', 'a'], /must not have a fragment/);
    });
    it('a token lifetime, format or audience out of range', async () => {
      await refused(['api', 'create', '--name', 'N', '--identifier', 'https://n.example', '--scope', 'a', '--token-lifetime', '59'], /from 60 to 86400/);
      await refused(['api', 'create', '--name', 'N', '--identifier', 'https://n.example', '--scope', 'a', '--token-lifetime', 'soon'], /from 60 to 86400/);
      await refused(['api', 'create', '--name', 'N', '--identifier', 'https://n.example', '--scope', 'a', '--token-format', 'paseto'], 'the token format must be jwt or opaque');
      await refused(['api', 'create', '--name', 'N', '--identifier', 'https://n.example', '--scope', 'a', '--accepts', 'robots'], 'an API accepts tokens for people, machines or both');
    });
    it('an unknown API, whatever the command', async () => {
      for (const args of [
        ['api', 'show', 'https://nope.example'],
        ['api', 'update', 'https://nope.example', '--name', 'x'],
        ['api', 'delete', 'https://nope.example'],
        ['api', 'show', 'nope'],
      ]) {
        await refused(args, `no API "${args[2]}"`);
      }
    });
    it('an update with nothing to change, or onto a taken identifier', async () => {
      await refused(['api', 'update', ORDERS], /^idp: nothing to change: give --name/);
      await ok(['api', 'create', '--name', 'Billing', '--identifier', 'https://billing.example', '--scope', 'b', '--json']);
      await refused(['api', 'update', ORDERS, '--identifier', 'https://billing.example'], 'an API with the identifier https://billing.example already exists');
    });
  });

  it('lists APIs in name order, a page at a time', async () => {
    await createOrders();
    await ok(['api', 'create', '--name', 'Billing', '--identifier', 'https://billing.example', '--scope', 'b', '--json']);
    const all = await ok<{ apis: ApiJson[]; next: null }>(['api', 'list', '--json']);
    // Issue 26: every store has Gatehouse's own management API (src/manage/management-api.ts).
    expect(all.apis.map((api) => api.name)).toEqual(['Billing', 'Gatehouse management API', 'Orders']);
    const page = await ok<{ apis: ApiJson[]; next: string }>(['api', 'list', '--limit', '2', '--json']);
    expect(page.apis.map((api) => api.name)).toEqual(['Billing', 'Gatehouse management API']);
    expect((await ok<{ apis: ApiJson[] }>(['api', 'list', '--limit', '2', '--after', page.next, '--json'])).apis.map((api) => api.name)).toEqual(['Orders']);
    const text = (await idp(['api', 'list'])).stdout.split('\n');
    expect(text[2]).toMatch(new RegExp(`^[A-Za-z0-9_-]{22}\\t${ORDERS}\\tOrders\\torders:read orders:write$`));
  });

  it('shows an API by identifier or id, with the applications that may request or introspect its tokens', async () => {
    const created = await createOrders();
    const worker = await ok<{ client_id: string }>(['client', 'create', '--name', 'Worker', '--machine', '--api', `${ORDERS} orders:read`, '--json']);
    const shown = await ok<ApiJson>(['api', 'show', ORDERS, '--json']);
    expect(shown).toMatchObject({ id: created.id, identifier: ORDERS, applications: [{ client_id: worker.client_id, client_name: 'Worker', roles: ['request'] }] });
    expect((await ok<ApiJson>(['api', 'show', created.id, '--json'])).identifier).toBe(ORDERS);
    const text = (await idp(['api', 'show', ORDERS])).stdout;
    expect(text).toBe(
      [
        `id: ${created.id}`,
        'name: Orders',
        `identifier: ${ORDERS}`,
        'token_lifetime: (ACCESS_TOKEN_TTL)',
        'token_format: jwt',
        'accepts: both',
        'scopes:',
        '  orders:read\tRead your orders',
        '  orders:write',
        'applications:',
        `  ${worker.client_id}\tWorker\trequest`,
        '',
      ].join('\n'),
    );
  });

  it('updates what is given (--scope replaces the whole list; "default" is the server lifetime), audited; no change writes nothing', async () => {
    const created = await createOrders();
    const updated = await ok<ApiJson>([
      'api',
      'update',
      ORDERS,
      '--name',
      'Orders v2',
      '--scope',
      'orders:read=Read orders',
      '--token-lifetime',
      '900',
      '--token-format',
      'opaque',
      '--accepts',
      'people',
      '--json',
    ]);
    expect(updated).toMatchObject({
      id: created.id,
      name: 'Orders v2',
      scopes: [{ name: 'orders:read', description: 'Read orders' }],
      token_lifetime: 900,
      token_format: 'opaque',
      accepts: 'people',
      changed: ['name', 'scopes', 'token_lifetime', 'token_format', 'accepts'],
    });
    expect(await lastEvent()).toMatchObject({ type: 'api.updated', actor: 'cli', subject: created.id, details: { changed: ['name', 'scopes', 'token_lifetime', 'token_format', 'accepts'] } });
    const events = await withStore((store) => store.audit.count({}));
    expect((await idp(['api', 'update', created.id, '--name', 'Orders v2'])).stdout).toBe(`API ${ORDERS}: no change\n`);
    expect(await withStore((store) => store.audit.count({}))).toBe(events);
    expect((await ok<ApiJson>(['api', 'update', ORDERS, '--token-lifetime', 'default', '--identifier', 'https://api.example.com/orders/v2', '--json'])).token_lifetime).toBeNull();
    expect(await withStore((store) => store.apis.findById(created.id))).toMatchObject({ identifier: 'https://api.example.com/orders/v2', tokenLifetime: null });
  });

  it('deletes an API with its grants, naming the applications that used it', async () => {
    const created = await createOrders();
    const worker = await ok<{ client_id: string }>(['client', 'create', '--name', 'Worker', '--machine', '--api', ORDERS, '--json']);
    const deleted = await ok<{ deleted: boolean; applications: unknown[] }>(['api', 'delete', ORDERS, '--json']);
    expect(deleted).toEqual({ deleted: true, id: created.id, identifier: ORDERS, applications: [{ client_id: worker.client_id, client_name: 'Worker', roles: ['request'] }] });
    expect(await lastEvent()).toMatchObject({ type: 'api.deleted', actor: 'cli', subject: created.id, details: { identifier: ORDERS, clients: [worker.client_id] } });
    expect(await withStore((store) => store.apis.accessOf(worker.client_id))).toEqual([]);
    await refused(['api', 'delete', ORDERS], `no API "${ORDERS}"`);
  });

  it('is listed in the help of idp, with its commands', async () => {
    expect((await idp(['--help'])).stdout).toMatch(/\n {2}api +manage APIs \(resource servers\)/);
    const help = (await idp(['api', '--help'])).stdout;
    for (const command of ['create', 'list', 'show', 'update', 'delete']) expect(help).toContain(`  ${command}`);
  });
});

describe("idp api: an identifier that is Gatehouse's own address", () => {
  let tool: ToolStore;
  const { refused } = cliRefusals(() => tool, { apis: writtenReaders.apis, audit: writtenReaders.audit });

  beforeEach(async () => {
    tool = await toolStore();
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('is refused at create and update (its tokens would be accepted at our userinfo endpoint), writing nothing', async () => {
    const own = `${tool.config.issuer}/userinfo`;
    const message = `idp: the identifier is this server's own address: ${tool.config.issuer} and every address under it are Gatehouse's endpoints`;
    expect((await refused(['api', 'create', '--name', 'Mine', '--identifier', own, '--scope', 'read'], /^idp: the identifier is this server's own address/)).stderr).toContain(message);
    await runIdpJson(['api', 'create', '--name', 'Orders', '--identifier', ORDERS, '--scope', 'read', '--json'], tool.env);
    expect((await refused(['api', 'update', ORDERS, '--identifier', own], /^idp: the identifier is this server's own address/)).stderr).toContain(message);
  });

  it('keeps the built-in management API (issue 26): it is not deleted, renamed or re-scoped, writing nothing', async () => {
    const management = `${tool.config.issuer}/api/v1`;
    const builtIn = "the management API is built in: its name, identifier, scopes and audience are Gatehouse's (its token lifetime and format may change)";
    await refused(['api', 'delete', management], builtIn);
    await refused(['api', 'update', management, '--scope', 'manage:everything'], builtIn);
    await refused(['api', 'update', management, '--name', 'Mine'], builtIn);
    const shown = await runIdpJson<{ identifier: string; scopes: { name: string }[]; accepts: string }>(['api', 'show', management, '--json'], tool.env);
    expect(shown).toMatchObject({ identifier: management, accepts: 'machines', built_in: true });
    expect(shown.scopes.map((scope) => scope.name)).toEqual(['manage:users', 'manage:groups', 'manage:clients', 'manage:apis', 'manage:keys']);
  });
});
