// Single sign-on sessions: a random 256-bit id in a cookie, only its hash in the store, with absolute and
// idle lifetimes (OWASP ASVS V3.3). A sign-in always starts a new session id (no fixation, ASVS V3.2.1).
// This module reads the cookie; setting and clearing it is the pages' part (interaction/, account/, admin/), so
// that the domain never writes to a response.
import type { Request } from 'express';
import type { Clock } from '../clock.js';
import type { Lifetimes } from '../config.js';
import type { Cookies } from '../http/cookies.js';
import type { SessionTerminator } from '../logout/session-end.js';
import type { SessionRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { hashSecret, randomId, randomSecret } from './secrets.js';

export interface StartedSession {
  session: SessionRecord;
  /** The session cookie's value: the id whose hash the store keeps. */
  id: string;
  maxAgeSeconds: number;
}

export interface ActiveSession {
  session: SessionRecord;
  user: UserRecord;
}

/** The longest activity goes unrecorded (Sessions.touch). */
const TOUCH_GRANULARITY_MS = 60_000;

/**
 * Whether activity at `now` is worth recording on a session last recorded at `lastSeenAt`: not within a tenth of
 * the idle lifetime (at most a minute), so that the session idles out at most that much early, never late, and
 * single sign-on or a refresh does not cost a database write each (issue 27 measured the refresh grant's).
 */
export function activityDue(lastSeenAt: number, now: number, sessionIdleSeconds: number): boolean {
  return now - lastSeenAt >= Math.min(TOUCH_GRANULARITY_MS, (sessionIdleSeconds * 1000) / 10);
}

export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly lifetimes: Pick<Lifetimes, 'session' | 'sessionIdle'>,
    private readonly cookies: Cookies,
    private readonly sessionEnd: SessionTerminator,
  ) {}

  /** The browser's live session and its user, or null: expired, idle too long, or the user disabled or gone. */
  async current(req: Request): Promise<ActiveSession | null> {
    const id = this.cookies.read(req, 'session');
    if (!id) return null;
    const now = this.clock.now();
    const session = await this.store.sessions.findLive(hashSecret(id), now);
    if (!session || session.lastSeenAt + this.lifetimes.sessionIdle * 1000 <= now) return null;
    const user = await this.store.users.findById(session.userId);
    if (!user || user.disabled) return null;
    return { session, user };
  }

  /**
   * Starts a new session for a person who just proved who they are, ending the browser's previous one. Returns
   * the record and the id for the caller to set as the session cookie (StartedSession.cookie).
   */
  /** `idp`: the upstream provider the sign-in went through (issue 23), null for none. */
  async start(req: Request, userId: string, amr: string[], idp: string | null = null): Promise<StartedSession> {
    const now = this.clock.now();
    const previousId = this.cookies.read(req, 'session');
    const previous = previousId ? await this.store.sessions.findLive(hashSecret(previousId), now) : null;
    // The applications signed in through the old session hear that it ended.
    if (previous) await this.sessionEnd.end(previous, { reason: 'signed_in_again', actor: userId, keepOffline: true, background: true });
    else if (previousId) await this.store.sessions.delete(hashSecret(previousId));
    const id = randomSecret();
    const session: SessionRecord = {
      idHash: hashSecret(id),
      sid: randomId(),
      userId,
      amr,
      idp,
      authTime: now,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.lifetimes.session * 1000,
    };
    await this.store.sessions.create(session);
    return { session, id, maxAgeSeconds: this.lifetimes.session };
  }

  /** Ends the browser's session (logout): tokens bound to it are revoked, its clients told. The caller drops the cookie. */
  async end(active: ActiveSession): Promise<void> {
    await this.sessionEnd.end(active.session, { reason: 'logout', actor: active.user.id, keepOffline: true });
  }

  /**
   * Records activity, which keeps the session from idling out. Activity within a tenth of the idle lifetime
   * (at most a minute) of the last record is not written again: a session then idles out at most that much
   * early, never late, and single sign-on does not cost a database write per request.
   */
  async touch(session: SessionRecord): Promise<void> {
    const now = this.clock.now();
    if (!activityDue(session.lastSeenAt, now, this.lifetimes.sessionIdle)) return;
    await this.store.sessions.touch(session.idHash, now);
  }
}
