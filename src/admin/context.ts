// What every admin page gets: its dependencies, and the signed-in administrator of the request.
import type { BreachedPasswords } from '../auth/breached-passwords.js';
import type { Response } from 'express';
import type { Sessions } from '../auth/sessions.js';
import type { Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Cookies } from '../http/cookies.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { SessionTerminator } from '../logout/session-end.js';
import type { ClientContext } from '../manage/clients.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { SessionRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

export interface AdminDependencies {
  config: Config;
  store: Store;
  clock: Clock;
  keyRing: KeyRing;
  cookies: Cookies;
  sessions: Sessions;
  sessionEnd: SessionTerminator;
  mailer: Mailer;
  logger: Logger;
  /** Re-entered passwords are throttled like sign-ins. */
  throttle: Throttle;
  /** BREACHED_PASSWORDS_FILE, opened; null when not configured. */
  breachedPasswords: BreachedPasswords | null;
}

/** The administrator behind a request, set by requireAdmin (access.ts) on `res.locals.admin`. */
export interface AdminState {
  user: UserRecord;
  session: SessionRecord;
  /** The token every admin form carries (csrf.ts). */
  csrfToken: string;
  /** Signed in (or re-entered the password) within RECENT_SIGN_IN_MS: sensitive actions need no password. */
  recentSignIn: boolean;
}

export function adminOf(res: Response): AdminState {
  const state = res.locals.admin as AdminState | undefined;
  // Only reachable if a route were mounted without requireAdmin: fail closed.
  if (!state) throw new Error('admin route reached without requireAdmin');
  return state;
}

/**
 * The context of the shared management functions (src/manage), acting as this administrator from this address,
 * under this server's configuration (which client URLs may be registered, src/manage/client-urls.ts).
 */
export function manageContext(deps: AdminDependencies, res: Response, ip: string | undefined): ClientContext & { config: Config } {
  return {
    config: deps.config,
    store: deps.store,
    clock: deps.clock,
    passwordMinLength: deps.config.passwordMinLength,
    actor: adminOf(res).user.id,
    ip: ip ?? null,
    sessionEnd: deps.sessionEnd,
    mail: { store: deps.store, clock: deps.clock, config: deps.config, mailer: deps.mailer, logger: deps.logger },
    breachedPasswords: deps.breachedPasswords,
  };
}
