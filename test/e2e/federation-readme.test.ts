// README's `idp provider create` examples (section "Signing in with other providers and directories", between the
// readme-federation-example markers), run as written by bash with `npx idp` being the compiled tool of this
// checkout, on a fresh store of the engine under test: every documented flag exists, each provider is stored as
// the text around the block says (StartTLS, the CA kept in the row, the claim paths), and no secret is printed or
// kept in clear. Nothing is contacted: a provider is only read when someone signs in with it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { documentedSnippet, run } from '../docs/documented-snippets.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { makeCa } from '../helpers/slapd.js';

const PRELUDE = `set -euo pipefail
npx() { [ "$1" = idp ] || exit 97; shift; node ${JSON.stringify(path.join(packageRoot, 'bin/idp.js'))} "$@"; }
`;

type Json = Record<string, unknown>;

describe("README's federation example", () => {
  let dir: string | undefined;
  let tool: ToolStore | undefined;

  afterEach(async () => {
    await tool?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the OpenID Connect, OAuth 2 and LDAP providers it shows, secrets sealed', { timeout: 60_000 }, async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-readme-federation-'));
    tool = await toolStore();
    // The files the example names, in the folder the commands run in: the CA, and each secret (with a final line
    // break, as an editor or `echo` leaves one).
    const ca = await makeCa(path.join(dir, 'ca'), 'Example Corp CA');
    writeFileSync(path.join(dir, 'corp-ca.pem'), ca.pem);
    const secrets = { 'google-client-secret.txt': 'google-secret-0123456789', 'github-client-secret.txt': 'github-secret-0123456789', 'ldap-bind-password.txt': 'ldap-bind-secret-0123456789' };
    for (const [file, secret] of Object.entries(secrets)) writeFileSync(path.join(dir, file), `${secret}\n`);

    const result = await run('/bin/bash', ['-c', PRELUDE + documentedSnippet('readme-federation-example', 'README.md')], { HOME: dir, LOG_LEVEL: 'warn', ...tool.env }, dir);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const documents = result.stdout
      .trim()
      .split(/(?<=^\})\n(?=\{)/m)
      .map((text) => JSON.parse(text) as Json);
    expect(documents).toHaveLength(3);
    const [google, github, corp] = documents as [Json, Json, Json];

    expect(google).toMatchObject({
      slug: 'google',
      kind: 'oidc',
      name: 'Google',
      jit: true,
      trustEmail: true,
      allowedDomains: ['example.com'],
      hasSecret: true,
      warnings: [],
      callbackUrl: expect.stringMatching(/\/federation\/google\/callback$/),
      settings: { issuer: 'https://accounts.google.com', clientId: '1234-abc.apps.googleusercontent.com', scopes: ['openid', 'email', 'profile'] },
    });
    expect(github).toMatchObject({
      slug: 'github',
      kind: 'oauth2',
      hasSecret: true,
      settings: {
        authorizationUrl: 'https://github.com/login/oauth/authorize',
        tokenUrl: 'https://github.com/login/oauth/access_token',
        userinfoUrl: 'https://api.github.com/user',
        scopes: ['read:user', 'user:email'],
        claims: { subject: 'id', email: 'email', emailVerified: null, name: 'name' },
      },
    });
    expect(corp).toMatchObject({
      slug: 'corp',
      kind: 'ldap',
      jit: true,
      hasSecret: true,
      settings: {
        url: 'ldap://ldap.example.com:389',
        startTls: true,
        bindDn: 'cn=gatehouse,ou=services,dc=example,dc=com',
        userBase: 'ou=people,dc=example,dc=com',
        userFilter: '(&(objectClass=inetOrgPerson)(mail={email}))',
        groupBase: 'ou=groups,dc=example,dc=com',
      },
    });
    // The CA is kept in the provider's row: every node and an export carry it, not a path on one machine.
    expect((corp.settings as Json).ca).toContain(ca.pem.trim().split('\n')[1]);

    // Never printed, never stored in clear.
    const stored = await tool.contentsAsText();
    for (const secret of Object.values(secrets)) {
      expect(result.stdout + result.stderr).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    expect(corp.callbackUrl).toBeNull();
  });
});
