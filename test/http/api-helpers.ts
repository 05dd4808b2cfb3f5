// Tokens for the management API tests (issue 26): personal tokens made as `idp admin token create` makes them
// (src/manage/admin-tokens.ts), one that has expired (written straight to the store: the rules refuse to make one),
// and one revoked. Shared by the test/http/api-*.test.ts files.
import { hashSecret, randomId, randomSecret } from '../../src/auth/secrets.js';
import { ADMIN_TOKEN_PREFIX, createAdminToken, revokeAdminToken } from '../../src/manage/admin-tokens.js';
import type { ManageContext } from '../../src/manage/users.js';
import { MANAGE_SCOPES, type ManageScope } from '../../src/store/records.js';
import type { RunningApp } from '../helpers/start-app.js';

export function operatorContext(app: RunningApp): ManageContext {
  return { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'cli' };
}

/** A live personal token with these scopes (all by default), acting as the operator or as the administrator `user`. */
export async function personalToken(app: RunningApp, options: { scopes?: ManageScope[]; user?: string } = {}): Promise<{ token: string; id: string }> {
  const { token, record } = await createAdminToken(operatorContext(app), { scopes: options.scopes, user: options.user });
  return { token, id: record.id };
}

/** A personal token that expired a minute ago. */
export async function expiredToken(app: RunningApp): Promise<string> {
  const token = ADMIN_TOKEN_PREFIX + randomSecret();
  const now = app.clock.now();
  await app.store.adminTokens.create({
    id: randomId(),
    tokenHash: hashSecret(token),
    userId: null,
    scopes: [...MANAGE_SCOPES],
    description: null,
    createdBy: 'cli',
    createdAt: now - 120_000,
    expiresAt: now - 60_000,
  });
  return token;
}

/** A personal token revoked right after it was made. */
export async function revokedToken(app: RunningApp): Promise<string> {
  const { token, id } = await personalToken(app);
  await revokeAdminToken(operatorContext(app), id);
  return token;
}
