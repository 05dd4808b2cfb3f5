// The signed-in person's own sessions: listed with the applications each signed in to, and signed out one at a
// time or everywhere at once. Only the person's own sessions can be named: someone else's sid is unknown here.
import type { Request, Response } from 'express';
import { NotFoundError } from '../errors.js';
import { endAccess } from '../manage/users.js';
import type { Store } from '../store/store.js';
import { accountLoginUrl, accountPath } from './access.js';
import { accountOf, type AccountDependencies } from './context.js';
import { parseAccountForm, sessionSchema } from './forms.js';

export interface SessionView {
  sid: string;
  applications: string[];
  /** When (ms): the view shows it in the person's language and time zone (dates.dateTime). */
  signedIn: number;
  lastSeen: number;
  /** The session of the browser looking at the page ("this device"). */
  current: boolean;
}

/** The user's live sessions, this device first, then the most recently used. */
export async function sessionViews(store: Store, userId: string, currentIdHash: string, now: number, clientName: (clientId: string) => Promise<string>): Promise<SessionView[]> {
  const sessions = await store.sessions.listForUser(userId, now);
  const ordered = [...sessions].sort((a, b) => Number(b.idHash === currentIdHash) - Number(a.idHash === currentIdHash) || b.lastSeenAt - a.lastSeenAt);
  return Promise.all(
    ordered.map(async (session) => ({
      sid: session.sid,
      applications: await Promise.all((await store.sessions.clientsOf(session.sid)).map(clientName)),
      signedIn: session.authTime,
      lastSeen: session.lastSeenAt,
      current: session.idHash === currentIdHash,
    })),
  );
}

/**
 * POST /account/sessions/sign-out (`sid`): ends one of the person's sessions, telling its applications
 * (back-channel logout) and keeping offline access granted in it, as a logout does. Signing out this device
 * also drops the cookie and goes to the login page.
 */
export function signOutSession(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user, session: current } = accountOf(res);
    const { sid } = parseAccountForm(sessionSchema, req);
    const session = sid ? await deps.store.sessions.findLiveBySid(sid, deps.clock.now()) : null;
    if (!session || session.userId !== user.id) throw new NotFoundError('This session has already ended.').shown('account.errors.sessionEnded');
    if (session.idHash === current.idHash) {
      await deps.sessions.end({ session, user });
      deps.cookies.clear(res, 'session');
      res.redirect(303, accountLoginUrl(deps));
      return;
    }
    await deps.sessionEnd.end(session, { reason: 'logout', actor: user.id, keepOffline: true });
    res.redirect(303, accountPath(deps, '?done=signed-out'));
  };
}

/**
 * POST /account/sessions/sign-out-all: ends every session, this one included, and revokes every code and
 * token of the account, offline access too (as an administrator's "Sign out everywhere" does).
 */
export function signOutEverywhere(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const ip = req.ip ?? null;
    const sessions = (await deps.store.sessions.listForUser(user.id, deps.clock.now())).length;
    await endAccess({ store: deps.store, clock: deps.clock, passwordMinLength: deps.config.passwordMinLength, actor: user.id, ip, sessionEnd: deps.sessionEnd }, user.id, 'logout');
    await deps.store.audit.append({ at: deps.clock.now(), type: 'account.signed_out_everywhere', actor: user.id, subject: user.id, ip, details: { sessions } });
    deps.cookies.clear(res, 'session');
    res.redirect(303, accountLoginUrl(deps));
  };
}
