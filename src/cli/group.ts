// `idp group …`: create, list, show, rename, update, delete, add, remove (issue 21). A group is named by its name
// (any case) or its id; a person by email or id. Every change goes through src/manage/groups.ts, so the rules and
// the audit events are the admin screens'.
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { addMember, createGroup, deleteGroup, findGroup, removeMember, renameGroup, updateGroup } from '../manage/groups.js';
import type { GroupRecord, GroupSummary, GroupUse, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { iso, pageRequest, pageText, print, takesId, withContext, type OutputOptions, type PageOptions } from './run.js';

export function groupJson(group: GroupRecord | GroupSummary) {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    require_mfa: group.requireMfa,
    ...('memberCount' in group ? { member_count: group.memberCount } : {}),
    created_at: iso(group.createdAt),
    updated_at: iso(group.updatedAt),
  };
}

const memberJson = (user: UserRecord) => ({ id: user.id, email: user.email, name: user.name, disabled: user.disabled });
const useJson = (use: GroupUse) => ({ client_id: use.clientId, client_name: use.name, roles: use.roles });
const useLine = (use: GroupUse) => `  ${use.clientId}\t${use.name}\t${use.roles.join(',')}`;

/** The words on/off of `--require-mfa`, as `idp client require-mfa` reads them. */
function onOff(setting: string, field: string): boolean {
  if (setting !== 'on' && setting !== 'off') throw new ValidationError(field, `--${field.replace(/_/g, '-')} must be on or off`);
  return setting === 'on';
}

/** Batches in which `idp group list` reads every group (1,000 groups is the scale the design plans for). */
const LIST_BATCH = 200;

/** Every group in name order, page by page (or one page when --limit is given). */
async function groupsToList(store: Store, options: ListGroupOptions): Promise<{ groups: GroupSummary[]; next: string | null }> {
  const search = options.search ?? '';
  if (options.limit !== undefined || options.after !== undefined) {
    const page = await store.groups.list({ ...pageRequest({ limit: options.limit ?? '100', after: options.after }), search });
    return { groups: page.items, next: page.next };
  }
  const groups: GroupSummary[] = [];
  let after: string | null = null;
  do {
    const page = await store.groups.list({ after, limit: LIST_BATCH, search });
    groups.push(...page.items);
    after = page.next;
  } while (after !== null);
  return { groups, next: null };
}

interface ListGroupOptions extends Omit<PageOptions, 'limit'> {
  limit?: string;
  search?: string;
}

export function registerGroupCommands(program: Command): void {
  const group = program.command('group').description('manage groups of people (for access rules, the groups claim and multi-factor rules)');

  takesId(group.command('create <name>'))
    .description('create a group: its name is 1-64 letters, digits, dots, underscores or hyphens, unique in any case')
    .option('--description <text>', 'what the group is for (up to 500 characters)')
    .option('--require-mfa', 'its members pass a second factor on every sign-in, everywhere')
    .option('--json', 'print JSON')
    .action((name: string, options: OutputOptions & { description?: string; requireMfa?: boolean }) =>
      withContext(async (ctx) => {
        const created = await createGroup(ctx, { name, description: options.description, requireMfa: options.requireMfa ?? false });
        print(options, groupJson(created), `created group ${created.name} (${created.id})`);
      }),
    );

  group
    .command('list')
    .description('list every group in name order with its member count (or one page with --limit/--after)')
    .option('--search <text>', 'only groups whose name contains this text (any case)')
    .option('--limit <n>', 'groups per page (1-1000): print one page and the cursor of the next')
    .option('--after <cursor>', 'the cursor printed after the previous page')
    .option('--json', 'print JSON')
    .action((options: ListGroupOptions) =>
      withContext(async (ctx) => {
        const { groups, next } = await groupsToList(ctx.store, options);
        const lines = groups.map((g) => [g.id, g.name, `${g.memberCount} member${g.memberCount === 1 ? '' : 's'}`, g.requireMfa ? 'require-mfa' : ''].join('\t').trimEnd());
        print(options, { groups: groups.map(groupJson), next }, pageText(lines, next, '(no groups)'));
      }),
    );

  takesId(group.command('show <group>'))
    .description('show a group: its settings, the applications that use it, and its members (one page)')
    .option('--limit <n>', 'members per page (1-1000)', '100')
    .option('--after <cursor>', 'the cursor printed after the previous page of members')
    .option('--json', 'print JSON')
    .action((nameOrId: string, options: PageOptions) =>
      withContext(async (ctx) => {
        const request = pageRequest(options);
        const found = await findGroup(ctx.store, nameOrId);
        const memberCount = await ctx.store.groups.countMembers(found.id);
        const uses = await ctx.store.groups.usesOf(found.id);
        const members = await ctx.store.users.list({ ...request, inGroup: found.id });
        const json = { ...groupJson({ ...found, memberCount }), applications: uses.map(useJson), members: members.items.map(memberJson), next: members.next };
        const text = [
          ...Object.entries(groupJson({ ...found, memberCount })).map(([key, value]) => `${key}: ${value ?? ''}`),
          uses.length ? 'applications:' : 'applications: (none)',
          ...uses.map(useLine),
          members.items.length ? 'members:' : 'members: (none)',
          ...members.items.map((user) => `  ${user.id}\t${user.email}\t${user.name ?? ''}${user.disabled ? '\tdisabled' : ''}`.trimEnd()),
          ...(members.next ? [`(more members: --after ${members.next})`] : []),
        ];
        print(options, json, text.join('\n'));
      }),
    );

  takesId(group.command('rename'))
    .description('rename a group (applications and memberships follow it: they name it by id)')
    .argument('<group>')
    .argument('<new-name>')
    .option('--json', 'print JSON')
    .action((nameOrId: string, newName: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const before = await findGroup(ctx.store, nameOrId);
        const renamed = await renameGroup(ctx, before.id, newName);
        print(options, groupJson(renamed), renamed.name === before.name ? `group ${renamed.name} already has that name` : `renamed group ${before.name} to ${renamed.name}`);
      }),
    );

  takesId(group.command('update <group>'))
    .description("change a group's description or its multi-factor rule")
    .option('--description <text>', 'the new description (empty text clears it)')
    .option('--require-mfa <on|off>', 'its members pass a second factor on every sign-in, everywhere')
    .option('--json', 'print JSON')
    .action((nameOrId: string, options: OutputOptions & { description?: string; requireMfa?: string }) =>
      withContext(async (ctx) => {
        if (options.description === undefined && options.requireMfa === undefined) throw new ValidationError('group', 'nothing to change: give --description or --require-mfa');
        const requireMfa = options.requireMfa === undefined ? undefined : onOff(options.requireMfa, 'require_mfa');
        const updated = await updateGroup(ctx, nameOrId, { description: options.description, requireMfa });
        print(
          options,
          groupJson(updated),
          `group ${updated.name}: ${updated.requireMfa ? 'multi-factor required' : 'multi-factor not required'}${updated.description ? `; ${updated.description}` : ''}`,
        );
      }),
    );

  takesId(group.command('delete <group>'))
    .description('delete a group with its memberships; names the applications that used it (one restricted to it alone then admits nobody)')
    .option('--json', 'print JSON')
    .action((nameOrId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const { group: deleted, uses } = await deleteGroup(ctx, nameOrId);
        // An application whose access rule named only this group now admits nobody (fails closed): say so.
        const applications = [];
        for (const use of uses) {
          const client = use.roles.includes('access') ? await ctx.store.clients.findById(use.clientId) : null;
          applications.push({ ...useJson(use), admits_nobody: client !== null && client.accessPolicy === 'groups' && client.accessGroups.length === 0 });
        }
        const text = [`deleted group ${deleted.name} (${deleted.id})`];
        if (applications.length) {
          text.push('applications that named it (check their access rules and groups claim):');
          for (const app of applications) text.push(`  ${app.client_id}\t${app.client_name}\t${app.roles.join(',')}${app.admits_nobody ? '\tnow admits nobody' : ''}`);
        }
        print(options, { deleted: true, id: deleted.id, name: deleted.name, applications }, text.join('\n'));
      }),
    );

  for (const [verb, adding] of [
    ['add', true],
    ['remove', false],
  ] as const) {
    takesId(group.command(verb))
      .description(adding ? 'put a person in a group' : 'take a person out of a group (their next sign-in or refresh at an application restricted to it is refused)')
      .argument('<group>')
      .argument('<emailOrId>')
      .option('--json', 'print JSON')
      .action((nameOrId: string, emailOrId: string, options: OutputOptions) =>
        withContext(async (ctx) => {
          const result = adding ? await addMember(ctx, nameOrId, emailOrId) : await removeMember(ctx, nameOrId, emailOrId);
          const changed = 'added' in result ? result.added : result.removed;
          const who = `${result.user.id} <${result.user.email}>`;
          const text = adding
            ? changed
              ? `added ${who} to group ${result.group.name}`
              : `${who} is already in group ${result.group.name}`
            : changed
              ? `removed ${who} from group ${result.group.name}`
              : `${who} was not in group ${result.group.name}`;
          print(options, { group: { id: result.group.id, name: result.group.name }, user: memberJson(result.user), [adding ? 'added' : 'removed']: changed }, text);
        }),
      );
  }
}
