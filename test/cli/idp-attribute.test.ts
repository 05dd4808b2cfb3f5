// `idp attribute …` and `idp user set-attribute` (issue 21) as child processes, on a store of their own on the
// engine under test (test/helpers/cli-store.ts): definitions and values are read back through the store; every
// refusal exits 1 with one line on stderr and writes nothing; the audit log names the attribute, never the value.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { toolStore, type ToolStore, runIdpJson } from '../helpers/cli-store.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { runIdp } from '../helpers/processes.js';
import { newUser } from '../store/engines.js';

interface AttributeJson {
  name: string;
  type: string;
  claim: string;
  scope: string;
  user_visible: boolean;
}

describe('idp attribute and idp user set-attribute (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  const idp = (args: string[]) => runIdp(args, tool.env);
  const withStore = <T>(read: (store: Store) => Promise<T>) => tool.withStore(read);
  const ok = <T>(args: string[]) => runIdpJson<T>(args, tool.env);
  /** Everything these commands may write: the definitions, Ada's values, the audit log. */
  const { refused } = cliRefusals(() => tool, { definitions: writtenReaders.definitions, values: writtenReaders.valuesOf('u-ada'), audit: writtenReaders.audit });
  const lastEvent = () => withStore(async (store) => (await store.audit.list({ limit: 1 }))[0]);
  const define = (name: string, claim: string, scope: string, type = 'string') =>
    ok<AttributeJson>(['attribute', 'create', '--name', name, '--claim', claim, '--scope', scope, '--type', type, '--json']);

  beforeEach(async () => {
    tool = await toolStore();
    await withStore((store) => store.users.create(newUser('u-ada', 'ada@example.com'), Date.now()));
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('defines, lists, shows, updates and deletes an attribute, each change audited', async () => {
    const created = await ok<AttributeJson>(['attribute', 'create', '--name', 'department', '--claim', 'department', '--scope', 'hr', '--user-visible', '--json']);
    expect(created).toMatchObject({ name: 'department', type: 'string', claim: 'department', scope: 'hr', user_visible: true });
    expect(await lastEvent()).toMatchObject({ type: 'attribute.defined', actor: 'cli', subject: 'department', details: { type: 'string', claim: 'department', scope: 'hr' } });
    await define('first', 'given_name', 'profile');
    expect((await ok<{ attributes: AttributeJson[] }>(['attribute', 'list', '--json'])).attributes.map((a) => a.name)).toEqual(['department', 'first']);
    expect((await idp(['attribute', 'list'])).stdout).toBe('department\tstring\tdepartment\thr\tvisible\nfirst\tstring\tgiven_name\tprofile\n');
    expect(await ok(['attribute', 'show', 'first', '--json'])).toMatchObject({ name: 'first', claim: 'given_name', scope: 'profile', user_visible: false });
    const updated = await ok<AttributeJson>(['attribute', 'update', 'department', '--claim', 'https://example.com/dept', '--scope', 'org:hr', '--user-visible', 'off', '--json']);
    expect(updated).toMatchObject({ claim: 'https://example.com/dept', scope: 'org:hr', user_visible: false });
    expect(await lastEvent()).toMatchObject({ type: 'attribute.updated', subject: 'department', details: { fields: ['claim', 'scope', 'user_visible'] } });
    await ok(['user', 'set-attribute', 'u-ada', 'department', 'Sales', '--json']);
    expect(await ok(['attribute', 'delete', 'department', '--json'])).toMatchObject({ deleted: true, name: 'department' });
    expect(await lastEvent()).toMatchObject({ type: 'attribute.deleted', subject: 'department' });
    expect(await withStore((store) => store.attributes.valuesOf('u-ada'))).toEqual({});
    expect((await idp(['attribute', 'list'])).stdout).toBe('first\tstring\tgiven_name\tprofile\n');
  });

  describe('refuses bad definitions with a clear message, a non-zero exit, and writes nothing', () => {
    beforeEach(async () => {
      await define('department', 'dept', 'hr');
    });
    const create = (name: string, claim: string, scope: string, extra: string[] = []) => ['attribute', 'create', '--name', name, '--claim', claim, '--scope', scope, ...extra];

    it('a reserved claim, in any case', async () => {
      for (const claim of ['sub', 'email', 'groups', 'Sub', 'AUD', 'name', 'acr'])
        await refused(create('x', claim, 'hr'), `the claim ${JSON.stringify(claim)} is reserved: Gatehouse or the protocol sets it`);
    });
    it('a standard claim with another scope than its own', async () => {
      await refused(create('first', 'given_name', 'hr'), 'the standard claim given_name is released with the scope profile (OpenID Connect Core §5.4), not "hr"');
      await refused(create('phone', 'phone_number', 'profile'), /standard claim phone_number is released with the scope phone/);
    });
    it('a reserved scope', async () => {
      for (const scope of ['openid', 'groups', 'email', 'offline_access']) await refused(create('x', 'x', scope), /^idp: the scope ".*" is reserved/);
    });
    it('a name or claim already taken', async () => {
      await refused(create('department', 'other', 'hr'), 'an attribute named department already exists');
      await refused(create('division', 'dept', 'hr'), 'the claim "dept" is already released by the attribute department');
    });
    it('bad names and an unknown type', async () => {
      await refused(create('Department', 'x', 'hr'), /"Department" is not a valid attribute name/);
      await refused(create('x', 'bad claim', 'hr'), /"bad claim" is not a valid claim name/);
      await refused(create('x', 'x', 'Bad Scope'), /"Bad Scope" is not a valid scope name/);
      await refused(create('x', 'x', 'hr', ['--type', 'date']), 'the type must be one of string, number, boolean, list');
    });
    it('an update of an unknown attribute, with nothing to change, or breaking a rule', async () => {
      await refused(['attribute', 'update', 'nope', '--scope', 'hr'], 'no attribute "nope"');
      await refused(['attribute', 'update', 'department'], 'nothing to change: give --claim, --scope or --user-visible');
      await refused(['attribute', 'update', 'department', '--claim', 'iss'], /the claim "iss" is reserved/);
      await refused(['attribute', 'update', 'department', '--user-visible', 'maybe'], '--user-visible must be on or off');
      await refused(['attribute', 'delete', 'nope'], 'no attribute "nope"');
      await refused(['attribute', 'show', 'nope'], 'no attribute "nope"');
    });
  });

  describe('idp user set-attribute', () => {
    beforeEach(async () => {
      await define('department', 'department', 'hr');
      await define('level', 'level', 'hr', 'number');
      await define('contractor', 'contractor', 'hr', 'boolean');
      await define('roles', 'roles', 'org', 'list');
    });

    it('sets a value of each type, read as the attribute type, audited without the value; idp user show lists them', async () => {
      expect(await ok(['user', 'set-attribute', 'ada@example.com', 'department', 'Secret Sales', '--json'])).toEqual({
        id: 'u-ada',
        email: 'ada@example.com',
        name: 'department',
        claim: 'department',
        value: 'Secret Sales',
      });
      const [event] = await withStore((store) => store.audit.list({ limit: 1 }));
      expect(event).toMatchObject({ type: 'user.attribute_set', actor: 'cli', subject: 'u-ada', details: { name: 'department' } });
      expect(JSON.stringify(event)).not.toContain('Secret Sales');
      expect((await idp(['user', 'set-attribute', 'u-ada', 'level', '-3.5'])).stdout).toBe('set level of u-ada <ada@example.com> to -3.5\n');
      await ok(['user', 'set-attribute', 'u-ada', 'contractor', 'false', '--json']);
      await ok(['user', 'set-attribute', 'u-ada', 'roles', 'reader, writer', '--json']);
      expect(await withStore((store) => store.attributes.valuesOf('u-ada'))).toEqual({ department: 'Secret Sales', level: -3.5, contractor: false, roles: ['reader', 'writer'] });
      expect((await ok<{ attributes: unknown }>(['user', 'show', 'u-ada', '--json'])).attributes).toEqual({
        department: 'Secret Sales',
        level: -3.5,
        contractor: false,
        roles: ['reader', 'writer'],
      });
      expect((await idp(['user', 'show', 'u-ada'])).stdout).toContain('\nattributes:\n  contractor: false\n  department: Secret Sales\n  level: -3.5\n  roles: reader, writer\n');
      await ok(['user', 'set-attribute', 'u-ada', 'roles', '["a, b", "c"]', '--json']);
      expect((await withStore((store) => store.attributes.valuesOf('u-ada'))).roles).toEqual(['a, b', 'c']);
    });

    it('clears a value with --clear', async () => {
      await ok(['user', 'set-attribute', 'u-ada', 'department', 'Sales', '--json']);
      expect(await ok(['user', 'set-attribute', 'u-ada', 'department', '--clear', '--json'])).toMatchObject({ value: null });
      expect(await withStore((store) => store.attributes.valuesOf('u-ada'))).toEqual({});
      expect(await lastEvent()).toMatchObject({ type: 'user.attribute_set', details: { name: 'department', cleared: true } });
      expect((await idp(['user', 'show', 'u-ada'])).stdout).toContain('\nattributes: (none)');
    });

    it('refuses an unknown person or attribute and a value of the wrong type, writing nothing', async () => {
      await refused(['user', 'set-attribute', 'nobody@example.com', 'department', 'Sales'], 'no user "nobody@example.com"');
      await refused(['user', 'set-attribute', 'u-ada', 'rank', 'high'], 'no attribute "rank"');
      await refused(['user', 'set-attribute', 'u-ada', 'level', 'high'], '"high" is not a number');
      await refused(['user', 'set-attribute', 'u-ada', 'level', '0x10'], '"0x10" is not a number');
      await refused(['user', 'set-attribute', 'u-ada', 'contractor', 'yes'], 'the value must be true or false');
      await refused(['user', 'set-attribute', 'u-ada', 'roles', '[1,2]'], 'a list value given as JSON must be an array of strings');
      await refused(['user', 'set-attribute', 'u-ada', 'department', 'x'.repeat(1001)], 'the value must be at most 1000 characters long');
      await refused(['user', 'set-attribute', 'u-ada', 'department', 'two\nlines'], 'the value must not contain control characters');
      await refused(['user', 'set-attribute', 'u-ada', 'department'], 'a value is required (or --clear to remove it)');
      await refused(['user', 'set-attribute', 'u-ada', 'department', 'Sales', '--clear'], 'give either a value or --clear, not both');
    });
  });
});
