// How the `idp` tool tests prove that a refused command writes nothing: what each family of commands may write,
// read through the store before and after (the `written` readers), and `refused`, which runs the command and holds
// it to the tool's rule for a refusal (exit 1, one line on stderr, nothing on stdout, nothing written). Kept apart
// from ./processes.ts, which bench code imports and which must not import vitest.
import { expect } from 'vitest';
import type { Store } from '../../src/store/store.js';
import type { ToolStore } from './cli-store.js';
import { runIdp, type Finished } from './processes.js';

/** One thing a command may write, read through the store. */
export type WrittenReader = (store: Store) => Promise<unknown>;

const clientsOf = async (store: Store) => (await store.clients.list({ limit: 1000 })).items;
const groupsOf = async (store: Store) => (await store.groups.list({ limit: 1000 })).items;

/** The readers the tests combine: each names what it reads, at most 1000 of each. */
export const writtenReaders = {
  apis: async (store: Store) => (await store.apis.list({ limit: 1000 })).items,
  clients: clientsOf,
  /** Each client's grants on APIs, in the order of the clients. */
  grants: async (store: Store) => Promise.all((await clientsOf(store)).map((client) => store.apis.accessOf(client.clientId))),
  groups: groupsOf,
  /** Each group's members, in the order of the groups. */
  members: async (store: Store) => Promise.all((await groupsOf(store)).map((group) => store.users.list({ limit: 1000, inGroup: group.id }))),
  definitions: (store: Store) => store.attributes.list(),
  /** The attribute values of one person. */
  valuesOf: (userId: string) => (store: Store) => store.attributes.valuesOf(userId),
  audit: (store: Store) => store.audit.count({}),
} satisfies Record<string, WrittenReader | ((...args: string[]) => WrittenReader)>;

export interface CliRefusals {
  /** Everything the readers read, by their names, from the tool's store. */
  written(): Promise<Record<string, unknown>>;
  /** Runs a command that must be refused with `message` (one line, exit 1, nothing on stdout) and write nothing. */
  refused(args: string[], message: string | RegExp): Promise<Finished>;
}

/** `written` and `refused` on the store `tool()` answers when called (a new one per test). */
export function cliRefusals(tool: () => ToolStore, readers: Record<string, WrittenReader>): CliRefusals {
  const written = () =>
    tool().withStore(async (store) => {
      const read: Record<string, unknown> = {};
      for (const [name, reader] of Object.entries(readers)) read[name] = await reader(store);
      return read;
    });
  return {
    written,
    async refused(args, message) {
      const before = await written();
      const result = await runIdp(args, tool().env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      if (typeof message === 'string') expect(result.stderr).toBe(`idp: ${message}\n`);
      else expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(await written()).toEqual(before);
      return result;
    },
  };
}
