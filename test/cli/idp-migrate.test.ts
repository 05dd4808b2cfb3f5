// `idp migrate` as a child process, on an empty store of its own on the engine under test
// (test/helpers/cli-store.ts): SQLite, or a fresh PostgreSQL schema.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/paths.js';
import { migrateDatabase } from '../../src/services.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';

describe('idp migrate (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;

  /** The numbers of the engine's own migration files, which an empty store needs, in order. */
  function migrationNumbers(): number[] {
    return readdirSync(path.join(migrationsDir, tool.config.database.engine))
      .filter((file) => /^\d{4}_\w+\.sql$/.test(file))
      .map((file) => Number(file.slice(0, 4)))
      .sort((a, b) => a - b);
  }

  beforeEach(async () => {
    tool = await toolStore();
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('applies every migration of the engine to an empty store once, then reports nothing to do', async () => {
    const all = migrationNumbers();
    // Numbered from 1 without a gap: otherwise the expectations below would prove little.
    expect(all.length).toBeGreaterThan(0);
    expect(all).toEqual(all.map((_, index) => index + 1));
    const version = all.length;

    const first = await runIdp(['migrate', '--json'], tool.env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ applied: all, version });
    // The tool migrated the configured store, the one the server opens (not, say, a SQLite file beside it).
    expect(await migrateDatabase(tool.config)).toEqual({ applied: [], version });

    // The store remembers what was applied: a second run, a new process, finds nothing to do.
    const again = await runIdp(['migrate'], tool.env);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`nothing to apply; schema version ${version}\n`);
    expect(JSON.parse((await runIdp(['migrate', '--json'], tool.env)).stdout)).toEqual({ applied: [], version });
  });

  it('says in words which migrations it applied', async () => {
    const all = migrationNumbers();
    const result = await runIdp(['migrate'], tool.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`applied migrations ${all.join(', ')}; schema version ${all.length}\n`);
  });
});
