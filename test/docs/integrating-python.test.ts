// The Python verification script of docs/integrating.md, run as documented (Debian's /usr/bin/python3 with
// python3-jwt) against a running Gatehouse: the documented code is known to accept our ID tokens and to refuse
// the ones an application must refuse.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { Browser } from '../helpers/browser.js';
import { addMember, createGroup } from '../../src/manage/groups.js';
import { addClient, addUser, manage, type TestClient } from '../helpers/oidc.js';
import { tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const PYTHON = '/usr/bin/python3';

/** The script between the python-verify markers of docs/integrating.md. */
function documentedScript(): string {
  const guide = readFileSync(path.join(packageRoot, 'docs/integrating.md'), 'utf8');
  const match = /<!-- python-verify:start -->\s*```python\n([\s\S]*?)```\s*<!-- python-verify:end -->/.exec(guide);
  if (!match?.[1]) throw new Error('docs/integrating.md has no python-verify block');
  return match[1];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the Python verification of docs/integrating.md', () => {
  let app: RunningApp;
  let client: TestClient;
  let script: string;

  function verify(token: string, clientId = client.clientId, requiredGroup?: string): Promise<Run> {
    const env = { PATH: '/usr/bin:/bin', ISSUER: app.config.issuer, CLIENT_ID: clientId, ...(requiredGroup === undefined ? {} : { REQUIRED_GROUP: requiredGroup }) };
    return new Promise((resolve) => {
      execFile(PYTHON, [script, token], { env, timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: stdout.trim(), stderr: stderr.trim() });
      });
    });
  }

  beforeAll(async () => {
    const probe = await new Promise<string | null>((resolve) => {
      execFile(PYTHON, ['-c', 'import jwt; print(jwt.__version__)'], (error, stdout) => resolve(error ? null : stdout.trim()));
    });
    if (!existsSync(PYTHON) || probe === null) {
      throw new Error(`${PYTHON} with PyJWT is needed: apt-get install -y python3-jwt (.ci/run installs it)`);
    }
    app = await startApp();
    script = path.join(app.dir, 'verify.py');
    writeFileSync(script, documentedScript());
    client = await addClient(app);
    const ada = await addUser(app);
    await addUser(app, 'grace@example.com', { name: 'Grace Hopper' });
    const editors = await createGroup(manage(app), { name: 'wiki-editors' });
    await addMember(manage(app), editors.id, ada.id);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('accepts an ID token from the token endpoint and prints its subject', async () => {
    const tokens = await tokensFor(app, client, new Browser(), 'openid email offline_access');
    const run = await verify(tokens.id_token);
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: String(decodeJwt(tokens.id_token).sub) });
  });

  it('lets a member of REQUIRED_GROUP in, reading the groups claim of an ID token (section 9)', async () => {
    const tokens = await tokensFor(app, client, new Browser(), 'openid groups offline_access');
    expect(decodeJwt(tokens.id_token).groups).toEqual(['wiki-editors']);
    const run = await verify(tokens.id_token, client.clientId, 'wiki-editors');
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: String(decodeJwt(tokens.id_token).sub) });
  });

  it('refuses a person outside REQUIRED_GROUP, and a token issued without the groups scope', async () => {
    const grace = await tokensFor(app, client, new Browser(), 'openid groups offline_access', 'grace@example.com');
    expect(decodeJwt(grace.id_token).groups).toEqual([]);
    const outsider = await verify(grace.id_token, client.clientId, 'wiki-editors');
    expect(outsider.code).not.toBe(0);
    expect(outsider.stderr).toBe('refused: not a member of wiki-editors');
    const withoutScope = await tokensFor(app, client, new Browser(), 'openid offline_access');
    expect(decodeJwt(withoutScope.id_token).groups).toBeUndefined();
    const run = await verify(withoutScope.id_token, client.clientId, 'wiki-editors');
    expect(run.stderr).toBe('refused: not a member of wiki-editors');
  });

  it('refuses an ID token issued to another application', async () => {
    const tokens = await tokensFor(app, client, new Browser(), 'openid');
    const run = await verify(tokens.id_token, 'another-client');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^refused: .*audience/i);
  });

  it('refuses a token whose signature was tampered with', async () => {
    const tokens = await tokensFor(app, client, new Browser(), 'openid');
    const [header, payload, signature = ''] = tokens.id_token.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const run = await verify(forged);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^refused: .*signature/i);
  });

  it('refuses a token signed by a key that is not in the JWKS', async () => {
    const tokens = await tokensFor(app, client, new Browser(), 'openid');
    const claims = decodeJwt(tokens.id_token);
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const stranger = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: (await exportJWK(publicKey)).n?.slice(0, 16) ?? 'x', typ: 'JWT' }).sign(privateKey);
    const run = await verify(stranger);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^refused: .*(kid|signing key)/i);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const tokens = await tokensFor(app, client, new Browser(), 'openid');
    const [, payload] = tokens.id_token.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const run = await verify(unsigned);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/^refused: /);
  });
});
