// `idp client …` for issue 22 as child processes, on a store of their own on the engine under test
// (test/helpers/cli-store.ts): machine clients (--machine), device clients (--device), private_key_jwt clients
// (--jwks-file, --jwks-uri, set-jwks, use-secret) and the APIs a client may request or introspect (--api,
// --introspect-api, set-apis). What the tool writes is read back through the store; every refusal exits 1 with one
// line on stderr and writes nothing.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { checkJwks } from '../../src/manage/client-keys.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { runIdpJson, toolStore, type ClientJsonBase, type ToolStore } from '../helpers/cli-store.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { runIdp } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

interface ClientJson extends ClientJsonBase {
  grant_types: string[];
  scope: string;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwks_uri: string | null;
  apis: { identifier: string; name: string; scopes: string[] | null }[];
  introspect_apis: { identifier: string; name: string }[];
  changed?: string[];
}

const ORDERS = 'https://api.example.com/orders';
const BILLING = 'https://billing.example.com';
const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('idp client for machines, devices, keys and APIs (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  let files: { dir: string; remove: () => void };
  let jwksFile: string;
  let jwksText: string;
  const idp = (args: string[]) => runIdp(args, tool.env);
  const withStore = <T>(read: (store: Store) => Promise<T>) => tool.withStore(read);
  const ok = <T = ClientJson>(args: string[]) => runIdpJson<T>(args, tool.env);
  /** Everything these commands may write: clients and their grants, the audit log. */
  const { refused } = cliRefusals(() => tool, { clients: writtenReaders.clients, grants: writtenReaders.grants, audit: writtenReaders.audit });
  const lastEvent = () => withStore(async (store) => (await store.audit.list({ limit: 1 }))[0]);
  const file = (name: string, text: string) => {
    const where = path.join(files.dir, name);
    writeFileSync(where, text);
    return where;
  };

  beforeEach(async () => {
    tool = await toolStore();
    files = tempDir();
    jwksText = JSON.stringify({ keys: [{ ...keyPair().publicKey.export({ format: 'jwk' }), kid: 'job-1', alg: 'ES256', use: 'sig' }] });
    jwksFile = file('jwks.json', jwksText);
    for (const args of [
      ['api', 'create', '--name', 'Orders', '--identifier', ORDERS, '--scope', 'orders:read=Read orders', '--scope', 'orders:write=Change orders', '--json'],
      ['api', 'create', '--name', 'Billing', '--identifier', BILLING, '--scope', 'billing', '--accepts', 'machines', '--json'],
    ]) {
      await ok(args);
    }
  });
  afterEach(async () => {
    files?.remove();
    await tool?.drop();
  });

  it('registers a machine client with a secret, client credentials only, and the APIs it may call', async () => {
    const client = await ok(['client', 'create', '--name', 'Nightly job', '--machine', '--api', `${ORDERS} orders:read`, '--api', BILLING, '--introspect-api', ORDERS, '--json']);
    expect(client).toMatchObject({
      client_type: 'confidential',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [],
      grant_types: [CLIENT_CREDENTIALS_GRANT],
      scope: '',
      jwks: null,
      jwks_uri: null,
      apis: [
        { identifier: BILLING, name: 'Billing', scopes: null },
        { identifier: ORDERS, name: 'Orders', scopes: ['orders:read'] },
      ],
      introspect_apis: [{ identifier: ORDERS, name: 'Orders' }],
    });
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await withStore((store) => store.clients.findById(client.client_id))).toMatchObject({
      secretHash: hashSecret(client.client_secret ?? ''),
      grantTypes: [CLIENT_CREDENTIALS_GRANT],
      scopes: [],
    });
    expect(await lastEvent()).toMatchObject({ type: 'client.created', actor: 'cli', subject: client.client_id, details: { machine: true, token_endpoint_auth_method: 'client_secret_basic' } });
    const text = await idp(['client', 'create', '--name', 'Other job', '--machine']);
    expect(text.stdout).toMatch(/^created client Other job\nclient_id: [A-Za-z0-9_-]{22}\nclient_secret: [A-Za-z0-9_-]{43}\n/);
  });

  it('registers a private_key_jwt client from a JWKS file or a JWKS URI: no secret is made, printed or stored', async () => {
    const client = await ok(['client', 'create', '--name', 'Signed job', '--machine', '--jwks-file', jwksFile, '--json']);
    expect(client).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: JSON.parse(checkJwks(jwksText)), jwks_uri: null });
    expect(client).not.toHaveProperty('client_secret');
    expect(await withStore((store) => store.clients.findById(client.client_id))).toMatchObject({ secretHash: null, jwks: checkJwks(jwksText) });
    const text = await idp(['client', 'create', '--name', 'Web', '--redirect-uri', 'https://web.example/cb', '--jwks-uri', 'https://web.example/jwks.json']);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^created client Web\nclient_id: [A-Za-z0-9_-]{22}\nauthenticates with private_key_jwt \(its keys\), no secret\n$/);
    expect(text.stdout).not.toContain('client_secret');
    const shown = (await idp(['client', 'show', client.client_id])).stdout;
    expect(shown).toContain('\ntoken_endpoint_auth_method: private_key_jwt\n');
    expect(shown).toContain('\nkeys:\n  EC P-256 ES256 kid=job-1\n');
    expect(shown).toContain('\napis: (none)\n');
  });

  it('registers a public device client without redirect URIs', async () => {
    const client = await ok(['client', 'create', '--name', 'TV app', '--device', '--public', '--api', ORDERS, '--json']);
    expect(client).toMatchObject({ client_type: 'public', token_endpoint_auth_method: 'none', redirect_uris: [], grant_types: [DEVICE_CODE_GRANT, 'refresh_token'] });
    expect(client).not.toHaveProperty('client_secret');
    const both = await ok(['client', 'create', '--name', 'CLI', '--device', '--redirect-uri', 'http://127.0.0.1/cb', '--json']);
    expect(both.grant_types).toEqual(['authorization_code', 'refresh_token', DEVICE_CODE_GRANT]);
    expect(both.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    it('a machine client with what concerns a person, public, or with the device flow', async () => {
      await refused(['client', 'create', '--name', 'Job', '--machine', '--redirect-uri', 'https://job.example/cb'], 'a machine client signs in no person: it has no redirect URIs');
      await refused(['client', 'create', '--name', 'Job', '--machine', '--public'], 'a machine client is confidential: it authenticates with a secret or with its key (private_key_jwt)');
      await refused(['client', 'create', '--name', 'Job', '--machine', '--device'], /the device flow is for applications people sign in to/);
      await refused(['client', 'create', '--name', 'Job', '--machine', '--require-mfa'], /no multi-factor rule/);
    });
    it('a browser client without a redirect URI', () => refused(['client', 'create', '--name', 'Web'], 'a client needs at least one redirect_uri'));
    it('bad keys: both sources, an unreadable file, a private key, a symmetric key, not JSON, an http JWKS URI, keys for a public client', async () => {
      await refused(['client', 'create', '--name', 'Job', '--machine', '--jwks-file', jwksFile, '--jwks-uri', 'https://job.example/jwks'], 'give --jwks-uri or --jwks-file, not both');
      await refused(['client', 'create', '--name', 'Job', '--machine', '--jwks-file', path.join(files.dir, 'missing.json')], /^idp: cannot read the JWKS file ".*missing\.json" \(ENOENT\)\n$/);
      const privateJwk = keyPair().privateKey.export({ format: 'jwk' });
      const privateKey = file('private.json', JSON.stringify({ keys: [privateJwk] }));
      const result = await refused(['client', 'create', '--name', 'Job', '--machine', '--jwks-file', privateKey], /contains the private member "d": register only the public key/);
      expect(result.stderr).not.toContain(String(privateJwk.d));
      await refused(['client', 'create', '--name', 'Job', '--machine', '--jwks-file', file('oct.json', '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}')], /symmetric \(oct\) key/);
      await refused(['client', 'create', '--name', 'Job', '--machine', '--jwks-file', file('pem.json', '-----BEGIN PUBLIC KEY-----')], /the JWKS is not JSON/);
      await refused(['client', 'create', '--name', 'Job', '--machine', '--jwks-uri', 'http://job.example/jwks'], /jwks_uri "http:\/\/job.example\/jwks" uses http on a host that is not loopback/);
      await refused(
        ['client', 'create', '--name', 'SPA', '--public', '--redirect-uri', 'https://spa.example/cb', '--jwks-file', jwksFile],
        'a public client has no keys: private_key_jwt is for confidential clients',
      );
    });
    it('an unknown API or scope, an API for the other kind of client, introspection by a public client', async () => {
      await refused(
        ['client', 'create', '--name', 'Job', '--machine', '--api', 'https://nope.example'],
        'no API "https://nope.example": register it first (idp api create), or check its identifier',
      );
      await refused(
        ['client', 'create', '--name', 'Job', '--machine', '--api', `${ORDERS} orders:delete`],
        'the API https://api.example.com/orders defines no scope "orders:delete" (it defines: orders:read, orders:write)',
      );
      await refused(['client', 'create', '--name', 'Web', '--redirect-uri', 'https://web.example/cb', '--api', BILLING], /accepts only tokens for machine clients/);
      await refused(
        ['client', 'create', '--name', 'SPA', '--public', '--redirect-uri', 'https://spa.example/cb', '--introspect-api', ORDERS],
        /a public client cannot authenticate, so it cannot introspect tokens/,
      );
    });
    it('set-apis, set-jwks, use-secret and rotate-secret where they do not apply', async () => {
      const job = await ok(['client', 'create', '--name', 'Job', '--machine', '--jwks-file', jwksFile, '--json']);
      await refused(['client', 'set-apis', 'no-such-client', '--api', ORDERS], 'no client "no-such-client"');
      await refused(['client', 'set-apis', job.client_id, '--api', 'https://nope.example'], /^idp: no API "https:\/\/nope.example"/);
      await refused(['client', 'set-jwks', job.client_id], 'give --jwks-uri or --jwks-file (one of the two)');
      await refused(['client', 'rotate-secret', job.client_id], /authenticates with its keys \(private_key_jwt\) and has no secret to rotate; .*idp client use-secret/);
      const web = await ok(['client', 'create', '--name', 'Web', '--redirect-uri', 'https://web.example/cb', '--json']);
      await refused(['client', 'use-secret', web.client_id], `client ${web.client_id} already authenticates with a secret`);
    });
  });

  it('replaces the APIs with set-apis, audited; none given withdraws them all', async () => {
    const job = await ok(['client', 'create', '--name', 'Job', '--machine', '--api', ORDERS, '--json']);
    const updated = await ok(['client', 'set-apis', job.client_id, '--api', `${ORDERS} orders:write`, '--introspect-api', BILLING, '--json']);
    expect(updated).toMatchObject({ apis: [{ identifier: ORDERS, scopes: ['orders:write'] }], introspect_apis: [{ identifier: BILLING }] });
    expect(await lastEvent()).toMatchObject({ type: 'client.updated', actor: 'cli', subject: job.client_id, details: { changed: ['apis'] } });
    const text = (await idp(['client', 'show', job.client_id])).stdout;
    expect(text).toContain(`\napis:\n  ${ORDERS}\torders:write\nintrospects:\n  ${BILLING}\n`);
    expect((await idp(['client', 'set-apis', job.client_id])).stdout).toBe(`client ${job.client_id}: no APIs\n`);
    expect(await withStore((store) => store.apis.accessOf(job.client_id))).toEqual([]);
  });

  it('switches a client with a secret to its keys with set-jwks (the secret is removed), and back with use-secret', async () => {
    const web = await ok(['client', 'create', '--name', 'Web', '--redirect-uri', 'https://web.example/cb', '--json']);
    const keyed = await ok(['client', 'set-jwks', web.client_id, '--jwks-file', jwksFile, '--json']);
    expect(keyed).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: JSON.parse(checkJwks(jwksText)), changed: ['token_endpoint_auth_method', 'jwks'] });
    expect(await withStore((store) => store.clients.findById(web.client_id))).toMatchObject({ secretHash: null, tokenEndpointAuthMethod: 'private_key_jwt' });
    expect((await idp(['client', 'set-jwks', web.client_id, '--jwks-uri', 'https://web.example/jwks.json'])).stdout).toBe(
      `client ${web.client_id}: authenticates with private_key_jwt, keys at https://web.example/jwks.json\n`,
    );
    const switched = await ok(['client', 'use-secret', web.client_id, '--json']);
    expect(switched).toMatchObject({ token_endpoint_auth_method: 'client_secret_basic', jwks: null, jwks_uri: null });
    expect(await withStore((store) => store.clients.findById(web.client_id))).toMatchObject({ secretHash: hashSecret(switched.client_secret ?? '') });
    expect(await lastEvent()).toMatchObject({ type: 'client.updated', details: { changed: ['token_endpoint_auth_method', 'jwks_uri', 'client_secret'] } });
  });

  it('lists machine clients as such, with their new fields in --json', async () => {
    const job = await ok(['client', 'create', '--name', 'Job', '--machine', '--api', ORDERS, '--json']);
    const listed = await ok<{ clients: ClientJson[] }>(['client', 'list', '--json']);
    expect(listed.clients).toEqual([
      expect.objectContaining({ client_id: job.client_id, grant_types: [CLIENT_CREDENTIALS_GRANT], apis: [{ identifier: ORDERS, name: 'Orders', scopes: null }], introspect_apis: [] }),
    ]);
    expect((await idp(['client', 'list'])).stdout).toBe(`${job.client_id}\tJob\tconfidential\tmachine\n`);
  });
});
