// What the account page shows about two-step verification: off, set up but not confirmed, or on (since when,
// and how many recovery codes are left), and the paths of its forms.
import type { Store } from '../store/store.js';
import { accountPath } from './access.js';
import type { AccountDependencies } from './context.js';

export type TwoFactorView = { state: 'off' } | { state: 'pending' } | { state: 'on'; since: number; recoveryCodesLeft: number };

export async function twoFactorView(store: Store, userId: string): Promise<TwoFactorView> {
  const credential = await store.totp.find(userId);
  if (!credential) return { state: 'off' };
  if (credential.confirmedAt === null) return { state: 'pending' };
  return { state: 'on', since: credential.confirmedAt, recoveryCodesLeft: await store.recoveryCodes.countUnused(userId) };
}

export function twoFactorPaths(deps: Pick<AccountDependencies, 'config'>) {
  return {
    twoFactor: accountPath(deps, '/two-factor'),
    twoFactorSetup: accountPath(deps, '/two-factor/setup'),
    twoFactorConfirm: accountPath(deps, '/two-factor/confirm'),
    recoveryCodes: accountPath(deps, '/two-factor/recovery-codes'),
    twoFactorRemove: accountPath(deps, '/two-factor/remove'),
  };
}
