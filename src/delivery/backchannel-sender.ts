// One attempt of a back-channel logout (Back-Channel Logout 1.0 §2.5) for the delivery queue (queue.ts): a fresh
// logout token, signed by the key that signs at that moment (new iat, jti and exp at every attempt, so a retry an
// hour later is not refused as stale), POSTed to the client's back-channel logout URI as it is registered now.
//
// The receiver's address is an administrator's choice (or, for a dynamically registered client, a stranger's): the
// POST follows the outbound rules of outbound-post.ts (special-purpose addresses refused at each attempt, DNS
// rebinding safe, no redirects, the body never read). The address rule is per client (allowsPrivateAddresses): a
// dynamically registered client's receiver may be private only when both ALLOW_PRIVATE_CLIENT_URLS and
// REGISTRATION_ALLOW_PRIVATE_URLS say so.
//
// Once a delivery is settled (delivered, or dead after its last attempt), it is audited as before issue 26:
// `logout.backchannel_delivered` or `logout.backchannel_failed`, with only a coarse reason (FailureReason), never
// the network's error text, so that the audit log is no port scanner's read-out.
import type { Clock } from '../clock.js';
import { allowsPrivateAddresses, type OutboundAddressPolicy, type Resolver } from '../http/outbound-request.js';
import type { Logger } from '../logger.js';
import { signLogoutToken } from '../logout/logout-token.js';
import type { SigningKey } from '../signing/key-store.js';
import type { ClientRecord, DeliveryRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { postOnce } from './outbound-post.js';
import type { AttemptResult, DeliverySender } from './sender.js';

/** The longest one attempt waits for the receiver's answer. */
export const BACKCHANNEL_ATTEMPT_TIMEOUT_MS = 5_000;

/**
 * Whom a logout token is about: a session of a person (`sid` and `sub`), or every session of the person at the
 * client (`sid` null: `sub` only, Back-Channel Logout 1.0 §2.4). A SessionRecord is one. A back-channel delivery's
 * payload is this, as JSON.
 */
export interface LogoutSubject {
  userId: string;
  sid: string | null;
}

export interface BackchannelSenderDependencies {
  store: Store;
  clock: Clock;
  issuer: string;
  /** The key that signs right now (a getter, so a rotation between attempts is followed; the `idp` tool opens its keys only when needed). */
  signingKey: () => SigningKey | Promise<SigningKey>;
  logger?: Logger;
  /** config.allowPrivateClientUrls (whose default, read once in src/config.ts, follows the issuer). */
  allowPrivateAddresses: boolean;
  /** config.registrationAllowPrivateUrls (see the head of this file). Absent: false. */
  registrationAllowPrivateAddresses?: boolean;
  /** Name resolution for the receivers' hosts; the system's when absent (tests inject one). */
  resolve?: Resolver;
  /** Per attempt; BACKCHANNEL_ATTEMPT_TIMEOUT_MS when absent. */
  timeoutMs?: number;
}

/** The delivery's subject, or null for a payload this code did not write (never sent: `gone`). */
export function logoutSubjectOf(delivery: Pick<DeliveryRecord, 'payload'>): LogoutSubject | null {
  try {
    const parsed = JSON.parse(delivery.payload ?? '') as Partial<LogoutSubject> | null;
    if (typeof parsed?.userId !== 'string' || (parsed.sid !== null && typeof parsed.sid !== 'string')) return null;
    return { userId: parsed.userId, sid: parsed.sid };
  } catch {
    return null;
  }
}

export class BackchannelSender implements DeliverySender {
  readonly kind = 'backchannel_logout' as const;

  constructor(private readonly deps: BackchannelSenderDependencies) {}

  async send(delivery: DeliveryRecord, signal: AbortSignal): Promise<AttemptResult> {
    const subject = logoutSubjectOf(delivery);
    // The client as it is now: deleted (its deliveries go with it, but one may be in flight) or without a
    // back-channel URI any more, there is no one to tell, and trying again will not change that.
    const client = delivery.clientId === null ? null : await this.deps.store.clients.findById(delivery.clientId);
    if (!subject || !client?.backchannelLogoutUri) return { delivered: false, reason: 'gone' };
    const logoutToken = await signLogoutToken(await this.deps.signingKey(), {
      issuer: this.deps.issuer,
      clientId: client.clientId,
      userId: subject.userId,
      sid: subject.sid,
      now: this.deps.clock.now(),
    });
    return postOnce({
      url: client.backchannelLogoutUri,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
      addresses: this.addressesFor(client),
      timeoutMs: this.deps.timeoutMs ?? BACKCHANNEL_ATTEMPT_TIMEOUT_MS,
      signal,
      // §2.8: 200 OK, though some frameworks answer 204 for an empty body.
      accepts: (status) => status === 200 || status === 204,
    });
  }

  /** Audits the delivery's end, as back-channel logout always has. */
  async settled(delivery: DeliveryRecord, result: AttemptResult): Promise<void> {
    const subject = logoutSubjectOf(delivery);
    // A token about the person's every session names no sid (and the audit entry none either).
    const sid = subject?.sid ? { sid: subject.sid } : {};
    const details = result.delivered
      ? { client_id: delivery.clientId, ...sid, attempts: delivery.attempts, status: result.status }
      : { client_id: delivery.clientId, ...sid, attempts: delivery.attempts, reason: result.reason, ...(result.status === undefined ? {} : { status: result.status }) };
    await this.deps.store.audit.append({
      at: this.deps.clock.now(),
      type: result.delivered ? 'logout.backchannel_delivered' : 'logout.backchannel_failed',
      actor: 'system',
      subject: subject?.userId ?? null,
      clientId: delivery.clientId,
      ip: null,
      outcome: result.delivered ? 'success' : 'failure',
      details: { ...details, delivery_id: delivery.id },
    });
    if (!result.delivered) this.deps.logger?.warn({ ...details, delivery_id: delivery.id }, 'back-channel logout was not delivered');
  }

  /** The address rule for this client's receiver (see the head of this file). */
  private addressesFor(client: ClientRecord): OutboundAddressPolicy {
    const config = { allowPrivateClientUrls: this.deps.allowPrivateAddresses, registrationAllowPrivateUrls: this.deps.registrationAllowPrivateAddresses ?? false };
    return { allowPrivateAddresses: allowsPrivateAddresses(config, client), resolve: this.deps.resolve };
  }
}
