// Single sign-on sessions: a random 256-bit id in a cookie, only its hash in the store, with absolute and
// idle lifetimes (OWASP ASVS V3.3). A sign-in always starts a new session id (no fixation, ASVS V3.2.1).
import type { Request, Response } from 'express';
import type { Clock } from '../clock.js';
import type { Lifetimes } from '../config.js';
import type { Cookies } from '../http/cookies.js';
import type { SessionRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { hashSecret, randomId, randomSecret } from './secrets.js';

export interface ActiveSession {
  session: SessionRecord;
  user: UserRecord;
}

export class Sessions {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly lifetimes: Pick<Lifetimes, 'session' | 'sessionIdle'>,
    private readonly cookies: Cookies,
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

  /** Starts a new session for a person who just proved who they are, ending the browser's previous one. */
  async start(req: Request, res: Response, userId: string, amr: string[]): Promise<SessionRecord> {
    const previous = this.cookies.read(req, 'session');
    if (previous) await this.store.sessions.delete(hashSecret(previous));
    const id = randomSecret();
    const now = this.clock.now();
    const session: SessionRecord = {
      idHash: hashSecret(id),
      sid: randomId(),
      userId,
      amr,
      authTime: now,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.lifetimes.session * 1000,
    };
    await this.store.sessions.create(session);
    this.cookies.set(res, 'session', id, this.lifetimes.session);
    return session;
  }

  /** Records activity, which keeps the session from idling out. */
  touch(session: SessionRecord): Promise<void> {
    return this.store.sessions.touch(session.idHash, this.clock.now());
  }
}
