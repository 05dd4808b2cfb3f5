// `idp client …` as a child process, on a store of its own on the engine under test (test/helpers/cli-store.ts):
// what the tool writes is read back through the store, as the running server would read it.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toolStore, type ClientJsonBase, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';

interface ClientJson extends ClientJsonBase {
  post_logout_redirect_uris: string[];
  pkce_required: boolean;
}

/** How the store keeps a client secret (src/auth/secrets.ts): its SHA-256, never the secret. */
const secretHash = (secret: string) => createHash('sha256').update(secret).digest('base64url');

describe('idp client (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  const idp = (args: string[]) => runIdp(args, tool.env);
  const withStore: ToolStore['withStore'] = (read) => tool.withStore(read);
  const clientCount = () => withStore(async (store) => (await store.clients.list({ limit: 1000 })).items.length);

  beforeEach(async () => {
    tool = await toolStore();
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('registers a confidential client, printing client_id and, once, a 256-bit client_secret stored only as a hash', async () => {
    const result = await idp([
      'client',
      'create',
      '--name',
      'Wiki',
      '--redirect-uri',
      'https://wiki.example.com/callback',
      '--redirect-uri',
      'http://127.0.0.1:8080/cb',
      '--post-logout-redirect-uri',
      'https://wiki.example.com/',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const client = JSON.parse(result.stdout) as ClientJson;
    expect(client).toMatchObject({
      client_type: 'confidential',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['https://wiki.example.com/callback', 'http://127.0.0.1:8080/cb'],
      post_logout_redirect_uris: ['https://wiki.example.com/'],
      pkce_required: true,
    });
    expect(client.client_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await withStore((store) => store.clients.findById(client.client_id));
    expect(stored?.secretHash).toBe(secretHash(client.client_secret ?? ''));
    // The search finds the stored hash, so it would find the secret: it is nowhere in clear, and never shown again.
    const contents = await tool.contentsAsText();
    expect(contents).toContain(secretHash(client.client_secret ?? ''));
    expect(contents).not.toContain(client.client_secret);
    const shown = await idp(['client', 'show', '--json', client.client_id]);
    expect(shown.stdout).not.toContain(client.client_secret);
    expect(JSON.parse(shown.stdout)).not.toHaveProperty('client_secret');
  });

  it('registers a public client with no secret and PKCE required', async () => {
    const client = JSON.parse((await idp(['client', 'create', '--name', 'SPA', '--redirect-uri', 'https://spa.example.com/', '--public', '--json'])).stdout) as ClientJson;
    expect(client).toMatchObject({ client_type: 'public', token_endpoint_auth_method: 'none', pkce_required: true });
    expect(client).not.toHaveProperty('client_secret');
  });

  it('registers a confidential client with PKCE optional, as the certification suite needs', async () => {
    const client = JSON.parse((await idp(['client', 'create', '--name', 'Suite', '--redirect-uri', 'https://suite.example/cb', '--pkce', 'optional', '--json'])).stdout) as ClientJson;
    expect(client.pkce_required).toBe(false);
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    const cases: [string, string[], RegExp][] = [
      ['a redirect URI that is not absolute', ['--redirect-uri', '/callback'], /is not an absolute URL/],
      ['a redirect URI with a fragment', ['--redirect-uri', 'https://app.example.com/cb#frag'], /must not have a fragment/],
      ['a redirect URI with an empty fragment', ['--redirect-uri', 'https://app.example.com/cb#'], /must not have a fragment/],
      ['http on a host that is not loopback', ['--redirect-uri', 'http://app.example.com/cb'], /uses http on a host that is not loopback/],
      ['a custom scheme', ['--redirect-uri', 'javascript:alert(1)'], /must use https/],
      [
        'a bad post-logout redirect URI next to a good redirect URI',
        ['--redirect-uri', 'https://ok.example/cb', '--post-logout-redirect-uri', 'http://evil.example/'],
        /post_logout_redirect_uri/,
      ],
      ['no redirect URI', [], /at least one redirect_uri/],
      ['PKCE optional for a public client', ['--redirect-uri', 'https://ok.example/cb', '--public', '--pkce', 'optional'], /cannot be optional for a public client/],
      ['an unknown PKCE mode', ['--redirect-uri', 'https://ok.example/cb', '--pkce', 'plain'], /--pkce must be required or optional/],
    ];
    for (const [what, args, message] of cases) {
      it(`refuses ${what}`, async () => {
        const before = await clientCount();
        const result = await idp(['client', 'create', '--name', 'App', ...args]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(message);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(await clientCount()).toBe(before);
      });
    }
  });

  describe('back-channel logout URIs on private addresses (issue 19, N1)', () => {
    const create = (uri: string, env: Record<string, string>) =>
      runIdp(['client', 'create', '--name', 'Internal', '--redirect-uri', 'https://rp.example/cb', '--backchannel-logout-uri', uri, '--json'], { ...tool.env, ...env });

    it.each(['http://10.0.0.1/', 'http://169.254.169.254/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/'])('refuses %s under a public issuer, in one line, writing nothing', async (uri) => {
      const result = await create(uri, { ISSUER: 'https://idp.example' });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `idp: backchannel_logout_uri ${JSON.stringify(uri)} points at a private, loopback, link-local or other special-purpose address, where Gatehouse does not send requests; use the application's public address, or set ALLOW_PRIVATE_CLIENT_URLS=true if it runs on your own network\n`,
      );
      expect(await clientCount()).toBe(0);
    });

    it('accepts one with ALLOW_PRIVATE_CLIENT_URLS=true, and a loopback one under a loopback issuer (the demo, docker-compose)', async () => {
      const allowed = await create('https://10.0.0.1/bc', { ISSUER: 'https://idp.example', ALLOW_PRIVATE_CLIENT_URLS: 'true' });
      expect(allowed.code, allowed.stderr).toBe(0);
      const local = await create('http://127.0.0.1:3001/backchannel-logout', { ISSUER: 'http://localhost:3000' });
      expect(local.code, local.stderr).toBe(0);
      expect(await clientCount()).toBe(2);
    });
  });

  describe('managing an existing client', () => {
    let client: ClientJson;
    beforeEach(async () => {
      client = JSON.parse((await idp(['client', 'create', '--name', 'CRM', '--redirect-uri', 'https://crm.example.com/cb', '--json'])).stdout) as ClientJson;
    });

    it('lists clients', async () => {
      const listed = JSON.parse((await idp(['client', 'list', '--json'])).stdout) as { clients: ClientJson[] };
      expect(listed.clients.map((c) => c.client_id)).toEqual([client.client_id]);
      expect((await idp(['client', 'list'])).stdout).toContain('CRM');
    });

    it('rotates the secret: a new one is printed once and the old hash is replaced', async () => {
      const rotated = JSON.parse((await idp(['client', 'rotate-secret', '--json', client.client_id])).stdout) as ClientJson;
      expect(rotated.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rotated.client_secret).not.toBe(client.client_secret);
      const stored = await withStore((store) => store.clients.findById(client.client_id));
      expect(stored?.secretHash).toBe(secretHash(rotated.client_secret ?? ''));
    });

    it('refuses to rotate the secret of a public client', async () => {
      const spa = JSON.parse((await idp(['client', 'create', '--name', 'SPA', '--redirect-uri', 'https://spa.example/', '--public', '--json'])).stdout) as ClientJson;
      const result = await idp(['client', 'rotate-secret', spa.client_id]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/is public and has no secret/);
    });

    it('deletes a client, after which it is unknown', async () => {
      expect(JSON.parse((await idp(['client', 'delete', '--json', client.client_id])).stdout)).toEqual({ deleted: true, client_id: client.client_id });
      const result = await idp(['client', 'show', client.client_id]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`idp: no client "${client.client_id}"\n`);
    });

    it('refuses to act on an unknown client', async () => {
      for (const command of ['show', 'delete', 'rotate-secret']) {
        const result = await idp(['client', command, 'no-such-client']);
        expect(result.code, command).toBe(1);
        expect(result.stderr, command).toBe('idp: no client "no-such-client"\n');
      }
      expect(await clientCount()).toBe(1);
    });
  });

  it('registers a client that requires multi-factor sign-in with --require-mfa, and turns the rule off and on with require-mfa', async () => {
    const created = await idp(['client', 'create', '--name', 'Payroll', '--redirect-uri', 'https://pay.example.com/cb', '--require-mfa', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout) as ClientJson & { require_mfa: boolean };
    expect(client.require_mfa).toBe(true);
    const off = await idp(['client', 'require-mfa', client.client_id, 'off', '--json']);
    expect(off.code, off.stderr).toBe(0);
    expect((JSON.parse(off.stdout) as { require_mfa: boolean }).require_mfa).toBe(false);
    expect(await withStore(async (store) => (await store.clients.findById(client.client_id))?.requireMfa)).toBe(false);
    const [event] = await withStore((store) => store.audit.list({ limit: 1, filter: { type: 'client.updated' } }));
    expect(event?.details).toEqual({ changed: ['require_mfa'], third_party: false, origin: 'admin' });
  });

  it('registers a client with --refresh-reuse-grace, changes it with refresh-reuse-grace, and gives it back to REFRESH_REUSE_GRACE with "default"', async () => {
    const created = await idp(['client', 'create', '--name', 'Phone', '--redirect-uri', 'https://phone.example.com/cb', '--refresh-reuse-grace', '10', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout) as ClientJson & { refresh_reuse_grace: number | null };
    expect(client.refresh_reuse_grace).toBe(10);
    const changed = await idp(['client', 'refresh-reuse-grace', client.client_id, '0', '--json']);
    expect(changed.code, changed.stderr).toBe(0);
    expect((JSON.parse(changed.stdout) as { refresh_reuse_grace: number | null }).refresh_reuse_grace).toBe(0);
    const reset = await idp(['client', 'refresh-reuse-grace', client.client_id, 'default']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain('refresh reuse grace the server setting');
    expect(await withStore(async (store) => (await store.clients.findById(client.client_id))?.refreshReuseGrace)).toBeNull();
    const [event] = await withStore((store) => store.audit.list({ limit: 1, filter: { type: 'client.updated' } }));
    expect(event?.details).toEqual({ changed: ['refresh_reuse_grace'], third_party: false, origin: 'admin' });
  });

  it.each(['301', '-5', 'soon'])('refuses a refresh reuse grace of %j, registering nothing', async (grace) => {
    const before = await clientCount();
    const result = await idp(['client', 'create', '--name', 'Bad', '--redirect-uri', 'https://bad.example.com/cb', '--refresh-reuse-grace', grace]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refresh reuse grace must be a whole number of seconds/);
    expect(await clientCount()).toBe(before);
  });

  it('takes a client id that begins with a dash (one in 64 random ids does) in require-mfa and refresh-reuse-grace', async () => {
    const created = JSON.parse((await idp(['client', 'create', '--name', 'Dashed', '--redirect-uri', 'https://dashed.example.com/cb', '--json'])).stdout) as ClientJson;
    const dashed = '-dash-first-client-id-01';
    await withStore(async (store) => {
      const record = await store.clients.findById(created.client_id);
      if (!record) throw new Error('the client just created is missing');
      await store.clients.create({ ...record, clientId: dashed }, Date.now());
    });
    const mfa = await idp(['client', 'require-mfa', dashed, 'on', '--json']);
    expect(mfa.stderr).toBe('');
    expect(JSON.parse(mfa.stdout)).toMatchObject({ client_id: dashed });
    const grace = await idp(['client', 'refresh-reuse-grace', dashed, '10']);
    expect(grace.stderr).toBe('');
    expect(await withStore(async (store) => await store.clients.findById(dashed))).toMatchObject({ requireMfa: true, refreshReuseGrace: 10 });
    // A negative number is a word with one dash too: refused as a value, not as an unknown option.
    const negative = await idp(['client', 'refresh-reuse-grace', dashed, '-5']);
    expect(negative.code).toBe(1);
    expect(negative.stderr).not.toContain('unknown option');
    const typo = await idp(['client', 'require-mfa', dashed, 'on', '--jsno']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("unknown option '--jsno'");
  });

  it('refuses a require-mfa setting other than on and off, changing nothing', async () => {
    const created = await idp(['client', 'create', '--name', 'Wiki', '--redirect-uri', 'https://wiki.example.com/cb', '--json']);
    const { client_id: clientId } = JSON.parse(created.stdout) as ClientJson;
    const result = await idp(['client', 'require-mfa', clientId, 'yes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('on or off');
    expect(await withStore(async (store) => (await store.clients.findById(clientId))?.requireMfa)).toBe(false);
  });

  describe('third-party applications (issue 24)', () => {
    interface ThirdPartyJson extends ClientJson {
      third_party: boolean;
      origin: string;
      client_uri: string | null;
      policy_uri: string | null;
      tos_uri: string | null;
    }
    const created = async (args: string[]) => {
      const result = await idp(['client', 'create', '--name', 'Planner', '--redirect-uri', 'https://planner.example/cb', ...args, '--json']);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as ThirdPartyJson;
    };

    it('registers first-party by default, as before, and shows third_party and origin', async () => {
      const client = await created([]);
      expect(client).toMatchObject({ third_party: false, origin: 'admin', client_uri: null, policy_uri: null, tos_uri: null });
      const shown = await idp(['client', 'show', client.client_id]);
      expect(shown.stdout).toContain('\nthird_party: false\norigin: admin\n');
      expect((await idp(['client', 'list'])).stdout).toBe(`${client.client_id}\tPlanner\tconfidential\n`);
    });

    it('registers a third-party client with --third-party and its pages, shown by show and list', async () => {
      const client = await created(['--third-party', '--client-uri', 'https://planner.example/', '--policy-uri', 'https://planner.example/privacy', '--tos-uri', 'https://planner.example/terms']);
      expect(client).toMatchObject({
        third_party: true,
        origin: 'admin',
        client_uri: 'https://planner.example/',
        policy_uri: 'https://planner.example/privacy',
        tos_uri: 'https://planner.example/terms',
      });
      expect(JSON.parse((await idp(['client', 'show', '--json', client.client_id])).stdout)).toMatchObject({ third_party: true, client_uri: 'https://planner.example/' });
      expect((await idp(['client', 'list'])).stdout).toBe(`${client.client_id}\tPlanner\tconfidential\tthird-party\n`);
      expect(await withStore(async (store) => (await store.clients.findById(client.client_id))?.thirdParty)).toBe(true);
      const [event] = await withStore((store) => store.audit.list({ limit: 1, filter: { type: 'client.created' } }));
      expect(event?.details).toMatchObject({ third_party: true, origin: 'admin' });
    });

    it('labels a dynamically registered client in the list', async () => {
      const client = await created(['--third-party']);
      await withStore((store) => store.clients.update(client.client_id, { origin: 'dynamic' }, Date.now()));
      expect((await idp(['client', 'list'])).stdout).toBe(`${client.client_id}\tPlanner\tconfidential\tthird-party\tregistered dynamically\n`);
    });

    it('switches a client with update --first-party / --third-party and changes or clears its pages, auditing what changed', async () => {
      const client = await created(['--third-party', '--client-uri', 'https://planner.example/']);
      const adopted = await idp(['client', 'update', client.client_id, '--first-party', '--client-uri', 'none', '--tos-uri', 'https://planner.example/terms', '--json']);
      expect(adopted.stderr).toBe('');
      expect(JSON.parse(adopted.stdout)).toMatchObject({ third_party: false, client_uri: null, tos_uri: 'https://planner.example/terms', changed: ['third_party', 'client_uri', 'tos_uri'] });
      const [event] = await withStore((store) => store.audit.list({ limit: 1, filter: { type: 'client.updated' } }));
      expect(event?.details).toEqual({ changed: ['third_party', 'client_uri', 'tos_uri'], third_party: false, origin: 'admin' });
      expect((await idp(['client', 'update', client.client_id, '--first-party'])).stdout).toBe(`client ${client.client_id}: no change\n`);
      expect((await idp(['client', 'update', client.client_id, '--third-party'])).stdout).toBe(`client ${client.client_id}: third-party (third_party changed)\n`);
      expect(await withStore(async (store) => (await store.clients.findById(client.client_id))?.thirdParty)).toBe(true);
    });

    describe('refuses bad input, writing nothing', () => {
      it.each([
        ['a home page over http on a public host', ['--client-uri', 'http://planner.example/'], /^idp: client_uri "http:\/\/planner.example\/" uses http on a host that is not loopback/],
        ['a policy page that is not a URL', ['--policy-uri', 'privacy'], /^idp: policy_uri "privacy" is not an absolute URL/],
        ['a third-party machine client', ['--machine', '--third-party'], /cannot be third-party/],
      ])('on create: %s', async (_what, args, message) => {
        const result = await idp(['client', 'create', '--name', 'Bad', ...(args.includes('--machine') ? [] : ['--redirect-uri', 'https://bad.example/cb']), ...args]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(message);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(await clientCount()).toBe(0);
      });

      it.each([
        ['both --third-party and --first-party', ['--third-party', '--first-party'], 'idp: give --third-party or --first-party, not both\n'],
        ['nothing to change', [], 'idp: give at least one of --third-party, --first-party, --client-uri, --policy-uri, --tos-uri, --[no-]require-par, --[no-]dpop-bound\n'],
        ['terms with a fragment', ['--tos-uri', 'https://planner.example/terms#top'], 'idp: tos_uri "https://planner.example/terms#top" must not have a fragment\n'],
      ])('on update: %s', async (_what, args, message) => {
        const client = await created([]);
        const before = await withStore(async (store) => ({ client: await store.clients.findById(client.client_id), audit: await store.audit.count({}) }));
        const result = await idp(['client', 'update', client.client_id, ...args]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toBe(message);
        expect(await withStore(async (store) => ({ client: await store.clients.findById(client.client_id), audit: await store.audit.count({}) }))).toEqual(before);
      });

      it('on update: an unknown client', async () => {
        const result = await idp(['client', 'update', 'no-such-client', '--third-party']);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe('idp: no client "no-such-client"\n');
      });
    });
  });
});
