// `idp user …`: create, list, show, disable, enable, delete, set-password, sessions, sign-out, reset-mfa, set-attribute,
// and (issue 23) unlink: remove an identity of an upstream provider linked to the account, and (issue 24, user-apps.ts)
// apps and remove-app: a person's connected applications.
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { formatAttributeValue, setUserAttribute } from '../manage/attributes.js';
import { unlinkIdentity } from '../manage/providers.js';
import { createUser, deleteUser, findUser, resetSecondFactors, setDisabled, setPassword, signOutEverywhere } from '../manage/users.js';
import type { FederatedIdentityRecord, UserRecord } from '../store/records.js';
import { registerUserAppCommands } from './user-apps.js';
import { iso, pageOptions, pageRequest, pageText, print, readStdin, withContext, type OutputOptions, type PageOptions, takesId } from './run.js';

interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

/** The public view of a user: never the password hash. */
function userJson(user: UserRecord) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    email_verified: user.emailVerified,
    /** False for an account made at a federated sign-in that has never had a password set. */
    has_password: user.hasPassword,
    admin: user.isAdmin,
    disabled: user.disabled,
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
  };
}

/** An upstream identity linked to the account (issue 23). */
function identityJson(identity: FederatedIdentityRecord) {
  return { provider: identity.providerSlug, subject: identity.subject, email: identity.email, linked_at: iso(identity.createdAt), last_used_at: iso(identity.lastUsedAt) };
}

function userLine(user: UserRecord): string {
  const flags = [user.isAdmin && 'admin', user.disabled && 'disabled'].filter(Boolean).join(',');
  return [user.id, user.email, user.name ?? '', flags].join('\t');
}

async function passwordFrom(options: PasswordOptions): Promise<string> {
  if (options.password !== undefined && options.passwordStdin) throw new ValidationError('password', 'give either --password or --password-stdin, not both');
  if (options.passwordStdin) return readStdin();
  if (options.password !== undefined) return options.password;
  throw new ValidationError('password', 'a password is required: --password P or --password-stdin');
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage the people who sign in');

  user
    .command('create')
    .description('create a user and print its id')
    .requiredOption('--email <email>', 'email address (unique, case-insensitive)')
    .option('--password <password>', 'the password (visible to other local users in the process list: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--name <name>', 'display name')
    .option('--admin', 'allow this user into the admin screens')
    .option('--json', 'print JSON')
    .action((options: PasswordOptions & OutputOptions & { email: string; name?: string; admin?: boolean }) =>
      withContext(async (ctx) => {
        const password = await passwordFrom(options);
        const created = await createUser(ctx, { email: options.email, password, name: options.name, isAdmin: options.admin ?? false });
        print(options, userJson(created), `created user ${created.id} <${created.email}>${created.isAdmin ? ' (admin)' : ''}`);
      }),
    );

  pageOptions(user.command('list').description('list users in email order'), 'users').action((options: PageOptions) =>
    withContext(async (ctx) => {
      const page = await ctx.store.users.list(pageRequest(options));
      print(options, { users: page.items.map(userJson), next: page.next }, pageText(page.items.map(userLine), page.next, '(no users)'));
    }),
  );

  takesId(user.command('show <emailOrId>'))
    .description('show one user')
    .option('--json', 'print JSON')
    .action((emailOrId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const found = await findUser(ctx.store, emailOrId);
        // Issue 21: the person's groups (what the groups claim and access rules read) and attribute values.
        const groups = await ctx.store.groups.groupsOf(found.id);
        const attributes = await ctx.store.attributes.valuesOf(found.id);
        const identities = (await ctx.store.federatedIdentities.listForUser(found.id)).map(identityJson);
        const json = { ...userJson(found), groups: groups.map((group) => ({ id: group.id, name: group.name })), attributes, identities };
        const lines = Object.entries(userJson(found)).map(([key, value]) => `${key}: ${value ?? ''}`);
        lines.push(`groups: ${groups.map((group) => group.name).join(', ')}`);
        const values = Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1));
        lines.push(values.length ? 'attributes:' : 'attributes: (none)', ...values.map(([name, value]) => `  ${name}: ${formatAttributeValue(value)}`));
        lines.push(
          identities.length ? 'linked identities:' : 'linked identities: (none)',
          ...identities.map((identity) => `  ${identity.provider}\t${identity.subject}\t${identity.email ?? ''}\tlinked ${identity.linked_at}\tlast used ${identity.last_used_at ?? 'never'}`),
        );
        print(options, json, lines.join('\n'));
      }),
    );

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    takesId(user.command(`${name} <emailOrId>`))
      .description(disabled ? 'stop a user from signing in and end their sessions' : 'let a disabled user sign in again')
      .option('--json', 'print JSON')
      .action((emailOrId: string, options: OutputOptions) =>
        withContext(async (ctx) => {
          const updated = await setDisabled(ctx, emailOrId, disabled);
          print(options, userJson(updated), `${disabled ? 'disabled' : 'enabled'} user ${updated.id} <${updated.email}>`);
        }),
      );
  }

  takesId(user.command('delete <emailOrId>'))
    .description('delete a user with their sessions and tokens')
    .option('--json', 'print JSON')
    .action((emailOrId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const deleted = await deleteUser(ctx, emailOrId);
        print(options, { deleted: true, id: deleted.id, email: deleted.email }, `deleted user ${deleted.id} <${deleted.email}>`);
      }),
    );

  takesId(user.command('set-password <emailOrId>'))
    .description("set a user's password and end their sessions")
    .option('--password <password>', 'the new password (prefer --password-stdin)')
    .option('--password-stdin', 'read the new password from standard input')
    .option('--json', 'print JSON')
    .action((emailOrId: string, options: PasswordOptions & OutputOptions) =>
      withContext(async (ctx) => {
        const password = await passwordFrom(options);
        const updated = await setPassword(ctx, emailOrId, password);
        print(options, userJson(updated), `set a new password for ${updated.id} <${updated.email}>`);
      }),
    );

  takesId(user.command('sessions <emailOrId>'))
    .description("list a user's live sign-in sessions and the applications that received tokens in each")
    .option('--json', 'print JSON')
    .action((emailOrId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const found = await findUser(ctx.store, emailOrId);
        const sessions = await Promise.all(
          (await ctx.store.sessions.listForUser(found.id, ctx.clock.now())).map(async (session) => ({
            sid: session.sid,
            auth_time: iso(session.authTime),
            last_seen_at: iso(session.lastSeenAt),
            expires_at: iso(session.expiresAt),
            clients: await ctx.store.sessions.clientsOf(session.sid),
          })),
        );
        const lines = sessions.map((session) => [session.sid, session.auth_time, session.clients.join(',')].join('\t'));
        print(options, { sessions }, lines.length ? lines.join('\n') : '(no sessions)');
      }),
    );

  takesId(user.command('sign-out <emailOrId>'))
    .description('sign a user out everywhere: end every session (with back-channel logout) and revoke every token')
    .option('--json', 'print JSON')
    .action((emailOrId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const { user: signedOut, sessions } = await signOutEverywhere(ctx, emailOrId);
        print(options, { id: signedOut.id, email: signedOut.email, sessions_ended: sessions }, `signed out ${signedOut.id} <${signedOut.email}> everywhere (${sessions} session(s) ended)`);
      }),
    );

  takesId(user.command('reset-mfa <emailOrId>'))
    .description("remove a user's second factors (authenticator app, recovery codes, passkeys), for one who lost them")
    .option('--json', 'print JSON')
    .action((emailOrId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const reset = await resetSecondFactors(ctx, emailOrId);
        const json = { id: reset.user.id, email: reset.user.email, totp_removed: reset.totp, recovery_codes_removed: reset.recoveryCodes, passkeys_removed: reset.passkeys };
        print(options, json, `reset the second factors of ${reset.user.id} <${reset.user.email}> (authenticator: ${reset.totp ? 'removed' : 'none'}, ${reset.passkeys} passkey(s) removed)`);
      }),
    );

  takesId(user.command('set-attribute'))
    .description("set a user's value of an attribute (idp attribute list), or clear it with --clear")
    .argument('<emailOrId>')
    .argument('<name>')
    .argument('[value]', "as the attribute's type reads it: text, a number, true/false, or a list (a JSON array of strings, or comma-separated)")
    .option('--clear', 'remove the value')
    .option('--json', 'print JSON')
    .action((emailOrId: string, name: string, value: string | undefined, options: OutputOptions & { clear?: boolean }) =>
      withContext(async (ctx) => {
        if (options.clear && value !== undefined) throw new ValidationError('value', 'give either a value or --clear, not both');
        if (!options.clear && value === undefined) throw new ValidationError('value', 'a value is required (or --clear to remove it)');
        const set = await setUserAttribute(ctx, emailOrId, name, options.clear ? null : (value ?? null));
        const who = `${set.user.id} <${set.user.email}>`;
        print(
          options,
          { id: set.user.id, email: set.user.email, name: set.definition.name, claim: set.definition.claim, value: set.value },
          set.value === null ? `cleared ${set.definition.name} of ${who}` : `set ${set.definition.name} of ${who} to ${formatAttributeValue(set.value)}`,
        );
      }),
    );

  takesId(user.command('unlink <emailOrId>'))
    .description("remove the link of a user's account to an upstream provider (idp provider list); the account stays")
    .requiredOption('--provider <slug>', 'the provider whose identity to unlink')
    .option('--json', 'print JSON')
    .action((emailOrId: string, options: OutputOptions & { provider: string }) =>
      withContext(async (ctx) => {
        const found = await findUser(ctx.store, emailOrId);
        const removed = await unlinkIdentity(ctx, found.id, options.provider, { byOwner: false });
        print(options, { id: found.id, email: found.email, unlinked: identityJson(removed) }, `unlinked ${removed.providerSlug} identity ${removed.subject} from ${found.id} <${found.email}>`);
      }),
    );

  registerUserAppCommands(user);
}
