// Ending sign-in sessions, whatever the cause (logout, an administrator, a disabled user, a new password, a
// revoked key): the session goes, the codes minted in it and the tokens bound to it are revoked, and every client
// that received tokens in it hears of it by back-channel logout. The one path, so that no cause forgets a step.
// Issue 24 adds its counterpart for one application: when a person's access to an application is removed
// (src/manage/consents.ts), removeClient revokes what that application holds of theirs and tells it, while the
// person's sessions stay. Issue 26 adds the sessions that are over by time (expired or idled out): housekeeping
// takes them from the store (src/logout/expired-sessions.ts) and endTaken finishes them the same way.
import type { Clock } from '../clock.js';
import type { ClientRecord, SessionRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { BackchannelLogout, NotifyMode } from './backchannel.js';

/** `expired`: over by time, its absolute or idle lifetime (issue 26; housekeeping ends it). */
export type SessionEndReason = 'logout' | 'user_disabled' | 'user_deleted' | 'password_set' | 'key_revoked' | 'signed_in_again' | 'admin' | 'expired';

/** A session housekeeping took from the store (SessionRepository.takeExpired): already deleted. */
export interface TakenSession {
  session: SessionRecord;
  clientIds: string[];
}

export interface EndOptions {
  reason: SessionEndReason;
  /** Who ended it, for the audit log: a user id, `cli`, or `system`. */
  actor: string;
  /** Keep refresh tokens granted offline_access (RP-Initiated Logout); otherwise every token of the session goes. */
  keepOffline: boolean;
  /**
   * Tell the clients without waiting for their answers (a sign-in must not wait on the previous session's
   * clients); their deliveries are still written before end() resolves.
   */
  background?: boolean;
}

export class SessionTerminator {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Null where nothing can sign a logout token; sessions still end. */
    private readonly backchannel: BackchannelLogout | null,
  ) {}

  /** Ends one session; resolves when the clients were told (bounded by the back-channel wait). */
  async end(session: SessionRecord, options: EndOptions): Promise<void> {
    // Read before the delete, which takes the session's client list with it.
    const clients = await this.clientsOf(session);
    const ended = await this.store.sessions.delete(session.idHash);
    // Only the caller whose delete ended it audits and tells the clients (a logout racing housekeeping: once).
    await this.afterDelete(session, clients, options, ended ? (options.background ? 'background' : 'wait') : null);
  }

  /**
   * Finishes sessions that were over by time, which housekeeping already took (and so deleted) from the store:
   * what end() does after its delete, with reason `expired` and actor `system`. Their clients' logouts are
   * queued, not attempted here: a run over many sessions sends at the delivery queue's pace.
   */
  async endTaken(taken: TakenSession[]): Promise<void> {
    const known = new Map<string, Promise<ClientRecord | null>>();
    const clientOf = (id: string) => {
      let client = known.get(id);
      if (!client) known.set(id, (client = this.store.clients.findById(id)));
      return client;
    };
    for (const { session, clientIds } of taken) {
      const clients = (await Promise.all(clientIds.map(clientOf))).filter((client): client is ClientRecord => client !== null);
      await this.afterDelete(session, clients, { reason: 'expired', actor: 'system', keepOffline: true }, 'queued');
    }
  }

  /** Revokes what the session's end takes, then, when `notify` says how, audits the end and tells the clients. */
  private async afterDelete(session: SessionRecord, clients: ClientRecord[], options: EndOptions, notify: NotifyMode | null): Promise<void> {
    const now = this.clock.now();
    // A code not yet redeemed dies with its session, offline_access or not: redeeming it would open a grant after
    // the person signed out (issue 19, F5). Redemption also refuses a code whose session is gone.
    await this.store.codes.revokeForSession(session.idHash, now);
    await this.store.refreshTokens.revokeForSession(session.idHash, now, { keepOffline: options.keepOffline });
    await this.store.accessTokens.revokeForSession(session.idHash, now);
    if (notify === null) return;
    await this.store.audit.append({
      at: now,
      type: 'session.ended',
      actor: options.actor,
      subject: session.userId,
      ip: null,
      details: { sid: session.sid, reason: options.reason, clients: clients.map((client) => client.clientId) },
    });
    // The deliveries are written before this resolves, whatever the mode; `wait` also waits for first attempts.
    await this.backchannel?.notify(session, clients, notify);
  }

  /** Ends every live session of a user, telling their clients in parallel. */
  async endAllForUser(userId: string, options: EndOptions): Promise<number> {
    const sessions = await this.store.sessions.listForUser(userId, this.clock.now());
    await Promise.all(sessions.map((session) => this.end(session, options)));
    return sessions.length;
  }

  /**
   * Takes everything an application holds of a person: every unused code, live refresh token and recorded access
   * token of the user at the client is revoked, whatever the session (offline_access included). Then the client
   * is told by back-channel logout: one logout token per live session of the person it received tokens in (`sid`
   * and `sub`: those sessions end at the client), or, when it took part in none still live, one with `sub` only
   * (Back-Channel Logout 1.0 §2.4: every session of the person at the client). The person's sessions here stay.
   * Resolves with how many codes and tokens were revoked, once the client was told (bounded by the back-channel
   * wait).
   */
  async removeClient(userId: string, client: ClientRecord): Promise<number> {
    const now = this.clock.now();
    const sessions = await this.store.sessions.listForUser(userId, now);
    const took = await Promise.all(sessions.map(async (session) => ((await this.store.sessions.clientsOf(session.sid)).includes(client.clientId) ? session : null)));
    const revoked =
      (await this.store.codes.revokeForUserClient(userId, client.clientId, now)) +
      (await this.store.refreshTokens.revokeForUserClient(userId, client.clientId, now)) +
      (await this.store.accessTokens.revokeForUserClient(userId, client.clientId, now));
    const backchannel = this.backchannel;
    if (!backchannel) return revoked;
    const subjects = took.filter((session): session is SessionRecord => session !== null);
    await Promise.all((subjects.length > 0 ? subjects : [{ userId, sid: null }]).map((subject) => backchannel.notify(subject, [client])));
    return revoked;
  }

  /** Waits for back-channel first attempts still running (the `idp` tool, before it exits); retries are the queue's. */
  async drain(): Promise<void> {
    await this.backchannel?.drain();
  }

  private async clientsOf(session: SessionRecord): Promise<ClientRecord[]> {
    const ids = await this.store.sessions.clientsOf(session.sid);
    const clients = await Promise.all(ids.map((id) => this.store.clients.findById(id)));
    return clients.filter((client): client is ClientRecord => client !== null);
  }
}
