// What every account page gets: its dependencies, and the signed-in person of the request.
import type { BreachedPasswords } from '../auth/breached-passwords.js';
import type { Request, Response } from 'express';
import type { AccountMailDependencies } from '../auth/account-links.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { Sessions } from '../auth/sessions.js';
import type { Throttle } from '../auth/throttle.js';
import type { Cookies } from '../http/cookies.js';
import type { SessionTerminator } from '../logout/session-end.js';
import type { SessionRecord, UserRecord } from '../store/records.js';

export interface AccountDependencies extends AccountMailDependencies {
  cookies: Cookies;
  sessions: Sessions;
  sessionEnd: SessionTerminator;
  throttle: Throttle;
  /** Seals TOTP secrets at rest (opened on first use). */
  secretBox: () => Promise<SecretBox>;
  /** BREACHED_PASSWORDS_FILE, opened; null when not configured. */
  breachedPasswords: BreachedPasswords | null;
}

/** The person behind a request, set by requireAccount on `res.locals.account`. */
export interface AccountState {
  user: UserRecord;
  session: SessionRecord;
  /** The token every account form carries. */
  csrfToken: string;
}

/** Records a change the person made to their own account (actor and subject are both them). */
export async function auditAccount(deps: Pick<AccountDependencies, 'store' | 'clock'>, req: Request, user: UserRecord, type: string, details: Record<string, unknown> = {}): Promise<void> {
  await deps.store.audit.append({ at: deps.clock.now(), type, actor: user.id, subject: user.id, ip: req.ip ?? null, details });
}

export function accountOf(res: Response): AccountState {
  const state = res.locals.account as AccountState | undefined;
  // Only reachable if a route were mounted without requireAccount: fail closed.
  if (!state) throw new Error('account route reached without requireAccount');
  return state;
}
