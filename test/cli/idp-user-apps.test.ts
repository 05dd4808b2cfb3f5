// `idp user apps` and `idp user remove-app` (issue 24) as a child process, on a store of its own on the engine under
// test: a person's connected applications, and the removal of one's access (consent and tokens), audited by 'cli';
// naming an application the person has nothing with is refused in one line, with nothing written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';
import { newToken } from '../store/engines.js';

interface AppsJson {
  id: string;
  email: string;
  apps: { client_id: string; client_name: string; third_party: boolean; scope: string; consented_at: string | null; last_used_at: string | null; holds_tokens: boolean }[];
}

describe('idp user apps | remove-app (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  let userId: string;
  let planner: string;
  let wiki: string;
  const idp = (args: string[]) => runIdp(args, tool.env);
  const { refused } = cliRefusals(() => tool, {
    consents: (store) => store.consents.listForUser(userId),
    tokens: (store) => store.refreshTokens.clientsOfUser(userId, Date.now()),
    audit: writtenReaders.audit,
  });
  const clientId = async (args: string[]) => (JSON.parse((await idp(['client', 'create', ...args, '--json'])).stdout) as { client_id: string }).client_id;

  beforeEach(async () => {
    tool = await toolStore();
    const created = await runIdp(['user', 'create', '--email', 'ada@example.com', '--password-stdin', '--json'], tool.env, 'correct horse battery staple');
    userId = (JSON.parse(created.stdout) as { id: string }).id;
    planner = await clientId(['--name', 'Planner', '--redirect-uri', 'https://planner.example/cb', '--third-party']);
    wiki = await clientId(['--name', 'Wiki', '--redirect-uri', 'https://wiki.example/cb']);
    const now = Date.now();
    await tool.withStore(async (store) => {
      await store.consents.grant(userId, planner, ['openid', 'email'], now - 60_000);
      await store.refreshTokens.create(newToken('rt-wiki', userId, wiki, { createdAt: now - 1000, grantExpiresAt: now + 3_600_000, expiresAt: now + 3_600_000 }));
    });
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('lists the applications the person allowed or that hold their tokens, most recently used first', async () => {
    const result = await idp(['user', 'apps', 'ada@example.com', '--json']);
    expect(result.stderr).toBe('');
    const listed = JSON.parse(result.stdout) as AppsJson;
    expect(listed.apps.map((app) => [app.client_id, app.client_name, app.third_party, app.scope, app.holds_tokens, app.consented_at !== null])).toEqual([
      [wiki, 'Wiki', false, 'openid offline_access', true, false],
      [planner, 'Planner', true, 'openid email', false, true],
    ]);
    expect((await idp(['user', 'apps', userId])).stdout).toContain(`${planner}\tPlanner\topenid email\tnever used`);
  });

  it('removes an application’s access: its consent or tokens go, audited as consent.revoked by cli', async () => {
    const removed = await idp(['user', 'remove-app', 'ada@example.com', planner, '--json']);
    expect(removed.stderr).toBe('');
    expect(JSON.parse(removed.stdout)).toEqual({ id: userId, client_id: planner, consent_removed: true, tokens_revoked: 0 });
    const text = await idp(['user', 'remove-app', userId, wiki]);
    expect(text.stdout).toBe(`removed the access of ${wiki} to ${userId} <ada@example.com> (1 token revoked)\n`);
    expect((JSON.parse((await idp(['user', 'apps', userId, '--json'])).stdout) as AppsJson).apps).toEqual([]);
    const events = await tool.withStore((store) => store.audit.list({ limit: 10, filter: { type: 'consent.revoked' } }));
    expect(events.map((event) => [event.actor, event.subject, event.details])).toEqual([
      ['cli', userId, { client_id: wiki, by: 'cli', consent: false, tokens_revoked: 1 }],
      ['cli', userId, { client_id: planner, by: 'cli', consent: true, tokens_revoked: 0 }],
    ]);
  });

  it('refuses an application the person has nothing with, an unknown one, and an unknown person, writing nothing', async () => {
    const other = await clientId(['--name', 'Other', '--redirect-uri', 'https://other.example/cb']);
    await refused(['user', 'remove-app', userId, other], `the application "${other}" has no access to this account`);
    await refused(['user', 'remove-app', userId, 'no-such-app'], 'the application "no-such-app" has no access to this account');
    await refused(['user', 'remove-app', 'nobody@example.com', planner], 'no user "nobody@example.com"');
  });
});
