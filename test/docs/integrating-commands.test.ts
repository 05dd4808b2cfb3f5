// The `idp` commands that docs/integrating.md section 10 and README's "APIs, machine clients and devices" show,
// run as written (a bash script of the block, `idp` and `npx idp` being the compiled tool of this checkout) on a
// fresh store: every documented flag exists and does what the text around it says.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { documentedSnippet, run, writeNodeProgram } from './documented-snippets.js';

/** `idp` as the guide writes it, `npx idp` as README does: both the tool of this checkout. */
const PRELUDE = `set -euo pipefail
idp() { node ${JSON.stringify(path.join(packageRoot, 'bin/idp.js'))} "$@"; }
npx() { [ "$1" = idp ] || exit 97; shift; idp "$@"; }
`;

type Json = Record<string, unknown>;

/** The seven JSON documents `--json` printed one after another (each command of a block prints one). */
function sevenDocuments(stdout: string): [Json, Json, Json, Json, Json, Json, Json] {
  const all = stdout
    .trim()
    .split(/(?<=^\})\n(?=\{)/m)
    .map((text) => JSON.parse(text) as Json);
  expect(all).toHaveLength(7);
  return all as [Json, Json, Json, Json, Json, Json, Json];
}

describe('the idp commands of the API documentation', () => {
  let dir: string;
  const env = () => ({ HOME: dir, DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys'), LOG_LEVEL: 'warn' });
  const script = (...blocks: string[]) => PRELUDE + blocks.join('\n');

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("registers the guide's API and its six clients (web, scoped, machine with a secret, machine with keys, device, introspection)", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-doc-commands-'));
    // The guide's key pair for the machine client with keys (--jwks-file client-jwks.json).
    const made = await run(process.execPath, [writeNodeProgram(dir, 'make-client-key.mjs', 'node-make-client-key')], {}, dir);
    expect(made, made.stderr).toMatchObject({ code: 0 });
    const result = await run('/bin/bash', ['-c', script(documentedSnippet('idp-api-register'), documentedSnippet('idp-api-clients'))], env(), dir);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const [api, shop, viewer, machine, keyed, cli, introspection] = sevenDocuments(result.stdout);
    expect(api).toMatchObject({
      identifier: 'https://api.example.com/orders',
      scopes: [
        { name: 'orders:read', description: 'Read your orders' },
        { name: 'orders:write', description: 'Place and change orders' },
      ],
      token_format: 'jwt',
    });
    expect(shop).toMatchObject({ client_name: 'Shop', apis: [{ identifier: 'https://api.example.com/orders', scopes: null }], client_secret: expect.any(String) });
    expect(viewer).toMatchObject({ apis: [{ identifier: 'https://api.example.com/orders', scopes: ['orders:read'] }] });
    expect(machine).toMatchObject({ grant_types: ['client_credentials'], redirect_uris: [], client_secret: expect.any(String), apis: [{ scopes: ['orders:read'] }] });
    expect(keyed).toMatchObject({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [expect.objectContaining({ kty: 'RSA' })] } });
    expect(keyed).not.toHaveProperty('client_secret');
    expect(cli).toMatchObject({ client_type: 'public', grant_types: expect.arrayContaining(['urn:ietf:params:oauth:grant-type:device_code']), apis: [{ scopes: null }] });
    expect(cli).not.toHaveProperty('client_secret');
    expect(introspection).toMatchObject({ grant_types: ['client_credentials'], apis: [], introspect_apis: [{ identifier: 'https://api.example.com/orders' }] });
  });

  it("runs README's example: the API, a web client, two machine clients, a device client, the API's own credentials, and `idp api show` naming them", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-readme-commands-'));
    const result = await run('/bin/bash', ['-c', script(documentedSnippet('readme-apis-example', 'README.md'))], env(), dir);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const [api, shop, machine, keyed, cli, introspection, shown] = sevenDocuments(result.stdout);
    expect(api).toMatchObject({ identifier: 'https://api.example.com/orders', accepts: 'both' });
    expect(shop).toMatchObject({ grant_types: expect.arrayContaining(['authorization_code']), apis: [{ scopes: null }] });
    expect(machine).toMatchObject({ grant_types: ['client_credentials'], client_secret: expect.any(String) });
    expect(keyed).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://sync.example.com/jwks.json' });
    expect(cli).toMatchObject({ client_type: 'public', grant_types: expect.arrayContaining(['urn:ietf:params:oauth:grant-type:device_code']) });
    expect(introspection).toMatchObject({ introspect_apis: [{ identifier: 'https://api.example.com/orders' }] });
    const applications = (shown as { applications: { client_id: string; roles: string[] }[] }).applications;
    const ids = [shop, machine, keyed, cli].map((client) => client.client_id);
    expect(applications.map((entry) => entry.client_id).sort()).toEqual([...ids, introspection.client_id].sort());
    expect(applications.find((entry) => entry.client_id === introspection.client_id)?.roles).toEqual(['introspect']);
  });
});
