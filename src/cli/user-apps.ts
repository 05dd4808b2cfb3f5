// `idp user apps <email|id>` and `idp user remove-app <email|id> <client_id>` (issue 24): a person's connected
// applications (consented to, or holding their refresh tokens) and the removal of one's access, by the rules of the
// account page's "Connected apps" (src/manage/consents.ts): the consent and every code and token of that application
// for the person go, the application hears of it by back-channel logout, and the person stays signed in. Audited as
// consent.revoked by 'cli'.
import type { Command } from 'commander';
import { connectedApps, removeClientAccess, type ConnectedApp } from '../manage/consents.js';
import { findUser } from '../manage/users.js';
import { iso, print, takesId, withContext, type OutputOptions } from './run.js';

function appJson(app: ConnectedApp) {
  return {
    client_id: app.client.clientId,
    client_name: app.client.name,
    third_party: app.client.thirdParty,
    scope: app.scopes.join(' '),
    consented_at: iso(app.consentedAt),
    last_used_at: iso(app.lastUsedAt),
    holds_tokens: app.holdsTokens,
  };
}

export function registerUserAppCommands(user: Command): void {
  takesId(user.command('apps <emailOrId>'))
    .description("list a user's connected applications: those they allowed, or holding their refresh tokens, most recently used first")
    .option('--json', 'print JSON')
    .action((emailOrId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const found = await findUser(ctx.store, emailOrId);
        const apps = (await connectedApps(ctx, found.id)).map(appJson);
        const lines = apps.map((app) => [app.client_id, app.client_name, app.scope, app.last_used_at ? `last used ${app.last_used_at}` : 'never used'].join('\t'));
        print(options, { id: found.id, email: found.email, apps }, lines.length ? lines.join('\n') : '(no connected applications)');
      }),
    );

  takesId(user.command('remove-app <emailOrId> <clientId>'))
    .description("take back an application's access to a user's account: its consent and tokens go, it is told by back-channel logout; the user stays signed in")
    .option('--json', 'print JSON')
    .action((emailOrId: string, clientId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const found = await findUser(ctx.store, emailOrId);
        const removed = await removeClientAccess(ctx, found.id, clientId, { actor: 'cli', kind: 'cli' });
        print(
          options,
          { id: found.id, client_id: clientId, consent_removed: removed.consentRemoved, tokens_revoked: removed.tokensRevoked },
          `removed the access of ${clientId} to ${found.id} <${found.email}> (${removed.consentRemoved ? 'consent removed, ' : ''}${removed.tokensRevoked} token${removed.tokensRevoked === 1 ? '' : 's'} revoked)`,
        );
      }),
    );
}
