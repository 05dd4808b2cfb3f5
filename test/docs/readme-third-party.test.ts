// README's "Third-party applications, consent and dynamic registration" example (between the
// readme-third-party-example markers), run as written by bash, `npx idp` being the compiled tool of this checkout, on
// a fresh store under DYNAMIC_REGISTRATION=token (as the block's comment asks of the server's environment): every
// documented flag exists, the client is stored third-party with its pages, and the initial access token is printed
// once and stored only as its hash.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { packageRoot } from '../../src/paths.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { documentedSnippet, run } from './documented-snippets.js';

const PRELUDE = `set -euo pipefail
npx() { [ "$1" = idp ] || exit 97; shift; node ${JSON.stringify(path.join(packageRoot, 'bin/idp.js'))} "$@"; }
`;

type Json = Record<string, unknown>;

describe("README's third-party example", () => {
  let dir: string | undefined;
  let tool: ToolStore | undefined;

  afterEach(async () => {
    await tool?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('registers a third-party client with its pages and makes an initial access token of three uses', { timeout: 60_000 }, async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-readme-third-party-'));
    tool = await toolStore();
    const result = await run(
      '/bin/bash',
      ['-c', PRELUDE + documentedSnippet('readme-third-party-example', 'README.md')],
      { HOME: dir, LOG_LEVEL: 'warn', DYNAMIC_REGISTRATION: 'token', ...tool.env },
      dir,
    );
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    const documents = result.stdout
      .trim()
      .split(/(?<=^\})\n(?=\{)/m)
      .map((text) => JSON.parse(text) as Json);
    expect(documents).toHaveLength(3);
    const [client, made, listed] = documents as [Json, Json, Json];

    expect(client).toMatchObject({ client_name: 'Partner reports', third_party: true, client_secret: expect.any(String) });
    expect(made).toMatchObject({ token: expect.any(String), id: expect.any(String), uses_left: 3, expires_at: null });
    expect(listed).toMatchObject({ tokens: [{ id: made.id, uses_left: 3, used: 0, expires_at: null, usable: true }] });
    expect(JSON.stringify(listed)).not.toContain(String(made.token));

    await tool.withStore(async (store) => {
      expect(await store.clients.findById(String(client.client_id))).toMatchObject({
        thirdParty: true,
        origin: 'admin',
        clientUri: 'https://reports.partner.example/',
        policyUri: 'https://reports.partner.example/privacy',
        tosUri: 'https://reports.partner.example/terms',
      });
      expect(await store.registrationTokens.findUsable(hashSecret(String(made.token)), Date.now())).toMatchObject({ id: made.id, usesLeft: 3 });
    });
    // Only the hash is kept.
    expect(await tool.contentsAsText()).not.toContain(String(made.token));
  });
});
