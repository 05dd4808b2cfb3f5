// `idp audit verify` and `idp audit export` as child processes, on a store of their own on the engine under
// test (test/helpers/cli-store.ts). Tampering is raw SQL on that store's database, behind Gatehouse's back.
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromExportedLine } from '../../src/audit/export.js';
import { ChainChecker } from '../../src/audit/verify.js';
import type { Config } from '../../src/config.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';

const T0 = Date.UTC(2025, 0, 31, 12, 0, 0);
const DAY = 24 * 60 * 60 * 1000;

/** Runs one statement (`?` placeholders) on the database behind `config`, whichever the engine. */
async function rawSql(config: Config, sql: string, params: unknown[] = []): Promise<void> {
  if (config.database.engine === 'sqlite') {
    const db = new Database(config.sqliteFile);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
    return;
  }
  let index = 0;
  const client = new pg.Client({ connectionString: config.database.url });
  await client.connect();
  try {
    await client.query(
      sql.replace(/\?/g, () => `$${++index}`),
      params,
    );
  } finally {
    await client.end();
  }
}

describe('idp audit (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  let ids: number[];
  const idp = (args: string[]) => runIdp(args, tool.env);
  const id = (index: number): number => {
    const value = ids[index];
    if (value === undefined) throw new Error(`no event number ${index}`);
    return value;
  };

  /** Five events, one a day from T0, as the server would have written them. */
  async function seed(): Promise<void> {
    await tool.withStore(async (store) => {
      for (let i = 0; i < 5; i++) {
        const event = await store.audit.append({
          at: T0 + i * DAY,
          type: i === 2 ? 'signin.failed' : 'user.created',
          actor: i === 2 ? 'anonymous' : 'cli',
          subject: `u${i}`,
          ip: '203.0.113.9',
          outcome: i === 2 ? 'failure' : 'success',
          details: { n: i, note: 'line\nbreak "quoted" <b>' },
        });
        ids.push(event.id);
      }
    });
  }

  beforeEach(async () => {
    tool = await toolStore();
    ids = [];
  });
  afterEach(async () => {
    await tool?.drop();
  });

  describe('verify', () => {
    it('says an empty log is intact and exits 0', async () => {
      const result = await idp(['audit', 'verify']);
      expect(result.stderr).toBe('');
      expect(result).toMatchObject({ code: 0, stdout: 'intact (0 events)\n' });
    });

    it('says an untouched log is intact, with its count and last event, and exits 0', async () => {
      await seed();
      const result = await idp(['audit', 'verify']);
      expect(result.stderr).toBe('');
      expect(result).toMatchObject({ code: 0, stdout: `intact (5 events, last #${id(4)}, not keyed)\n` });
    });

    it('with AUDIT_CHAIN_KEY, chains new events under it and says from which event the chain is keyed; without the key it cannot tell, and exits 1', async () => {
      await seed();
      const key = Buffer.alloc(32, 3).toString('base64');
      const keyed = { ...tool.env, AUDIT_CHAIN_KEY: key };
      const created = await runIdp(['user', 'create', '--email', 'keyed@example.com', '--password', 'a long enough passphrase here', '--json'], keyed);
      expect(created.code, created.stderr).toBe(0);
      const head = await tool.withStore((store) => store.audit.head());
      const result = await runIdp(['audit', 'verify'], keyed);
      expect(result).toMatchObject({ code: 0, stdout: `intact (6 events, last #${head?.lastId}, keyed from #${head?.lastId} (1 event))\n` });
      const unkeyed = await idp(['audit', 'verify']);
      expect(unkeyed.code).toBe(1);
      expect(unkeyed.stdout).toContain(`broken at event #${head?.lastId}: event #${head?.lastId} and those after it are chained under AUDIT_CHAIN_KEY`);
      const refused = await runIdp(['audit', 'verify'], { ...tool.env, AUDIT_CHAIN_KEY: 'not-a-key' });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('AUDIT_CHAIN_KEY');
      expect(refused.stderr).not.toContain('not-a-key');
    });

    it('prints the result as JSON with --json', async () => {
      await seed();
      const head = await tool.withStore((store) => store.audit.head());
      const result = await idp(['audit', 'verify', '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ intact: true, events: 5, last_id: id(4), last_hash: head?.lastHash, keyed_from: null, keyed_events: 0 });
    });

    it('names an edited event and exits 1', async () => {
      await seed();
      await rawSql(tool.config, 'UPDATE audit_events SET details = ? WHERE id = ?', [JSON.stringify({ n: 2, note: 'nothing to see' }), id(2)]);
      const result = await idp(['audit', 'verify']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(`broken at event #${id(2)}: event #${id(2)} was changed after it was written: its fields no longer match its hash\n`);
      const json = await idp(['audit', 'verify', '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ intact: false, events: 2, broken_at: id(2), reason: 'edited' });
    });

    it('names the event after a deleted one and exits 1', async () => {
      await seed();
      await rawSql(tool.config, 'DELETE FROM audit_events WHERE id = ?', [id(1)]);
      const result = await idp(['audit', 'verify']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`^broken at event #${id(2)}: event #${id(2)} does not link to event #${id(0)}`));
    });

    it('notices the newest events cut off and exits 1', async () => {
      await seed();
      await rawSql(tool.config, 'DELETE FROM audit_events WHERE id >= ?', [id(3)]);
      const result = await idp(['audit', 'verify', '--json']);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({ intact: false, events: 3, broken_at: null, reason: 'truncated' });
      expect((await idp(['audit', 'verify'])).stdout).toMatch(/^broken at the end of the log: the chain head points at event #\d+ but the log ends at #\d+/);
    });
  });

  describe('export', () => {
    it('writes every event as one JSON object per line, oldest first, which checks out link by link', async () => {
      await seed();
      const result = await idp(['audit', 'export']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.endsWith('\n')).toBe(true);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(5);
      expect(JSON.parse(lines[2] ?? '')).toEqual({
        id: id(2),
        at: T0 + 2 * DAY,
        time: '2025-02-02T12:00:00.000Z',
        type: 'signin.failed',
        actor: 'anonymous',
        subject: 'u2',
        client_id: null,
        ip: '203.0.113.9',
        outcome: 'failure',
        details: { n: 2, note: 'line\nbreak "quoted" <b>' },
        prev_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const checker = new ChainChecker();
      for (const line of lines) expect(checker.check(fromExportedLine(line))).toBeNull();
      const head = await tool.withStore((store) => store.audit.head());
      expect(checker.result()).toEqual({ intact: true, events: 5, lastId: id(4), lastHash: head?.lastHash, keyedFrom: null, keyedEvents: 0 });
    });

    it('accepts --json-lines, the default format', async () => {
      await seed();
      const plain = await idp(['audit', 'export']);
      expect(await idp(['audit', 'export', '--json-lines'])).toEqual(plain);
    });

    it('writes only the events at or after --since (a date is midnight UTC)', async () => {
      await seed();
      const since = await idp(['audit', 'export', '--since', '2025-02-03']);
      expect(since.code).toBe(0);
      expect(
        since.stdout
          .trimEnd()
          .split('\n')
          .map((line) => fromExportedLine(line).id),
      ).toEqual([id(3), id(4)]);
      const exact = await idp(['audit', 'export', '--since', '2025-02-02T12:00:00Z']);
      expect(
        exact.stdout
          .trimEnd()
          .split('\n')
          .map((line) => fromExportedLine(line).id),
      ).toEqual([id(2), id(3), id(4)]);
      const bare = await idp(['audit', 'export', '--since', '2025-02-02T12:00']);
      expect(bare.stdout).toBe(exact.stdout);
    });

    it('writes nothing for an empty log', async () => {
      expect(await idp(['audit', 'export'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    });

    it('refuses a --since that is not a date, with a one-line message and exit 1', async () => {
      for (const bad of ['yesterday', '2025-02-30', '31/01/2025']) {
        const result = await idp(['audit', 'export', '--since', bad]);
        expect(result.code, bad).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(/^idp: --since must be an ISO 8601 date or time/);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
      }
    });
  });
});
