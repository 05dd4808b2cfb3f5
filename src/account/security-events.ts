// The recent security events of the signed-in person's own account, as plain sentences. Only events whose
// subject is this account are read (the store filters by subject), so nobody sees another person's events.
import type { AuditEventRecord, ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { formatTime } from './time.js';

/** How many of the newest events the page shows. */
export const RECENT_EVENTS = 20;

const SENTENCES: Record<string, string> = {
  'signin.succeeded': 'Signed in',
  'signin.failed': 'Failed sign-in attempt',
  'signin.throttled': 'Sign-in attempts blocked after too many failures',
  'password_reset.requested': 'Password reset link requested',
  'password_reset.completed': 'Password reset with an emailed link',
  'account.password_changed': 'Password changed',
  'account.name_changed': 'Name changed',
  'account.signed_out_everywhere': 'Signed out everywhere',
  'account.password_check_failed': 'Wrong current password entered on this page',
  'account.password_check_throttled': 'Password attempts on this page blocked after too many failures',
  'account.second_factor_check_failed': 'Wrong second-factor code entered on this page',
  'account.totp_setup_started': 'Setting up an authenticator app started',
  'account.totp_enabled': 'Two-step verification turned on',
  'account.totp_disabled': 'Two-step verification turned off',
  'account.recovery_codes_replaced': 'New recovery codes made; the old ones no longer work',
  'account.passkey_added': 'Passkey added',
  'account.passkey_removed': 'Passkey removed',
  'email.change_requested': 'Change of email address requested',
  'email.changed': 'Email address changed',
  'email.verified': 'Email address verified',
  'email.verification_throttled': 'Verification links held back after too many requests',
  'email.confirmation_refused': 'An old email link was refused: the address changed after it was sent',
  'admin.reauthenticated': 'Password confirmed on the admin screens',
  'admin.reauthentication_failed': 'Wrong password entered on the admin screens',
  'session.revoked_by_admin': 'Signed out by an administrator',
  'user.created': 'Account created',
  'user.password_set': 'Password set by an administrator',
  'user.disabled': 'Account disabled by an administrator',
  'user.enabled': 'Account enabled by an administrator',
  'user.signed_out_everywhere': 'Signed out everywhere by an administrator',
  'user.second_factors_reset': 'Second factors removed by an administrator',
  'code.reused': 'A sign-in code was used twice, or after it was withdrawn (a sign-out or a new password); the tokens issued with it were revoked',
  'refresh_token.reused': 'An application’s refresh token was used twice; its access was revoked',
  'token.revoked': 'An application gave up its access',
  'signin.denied': 'Sign-in refused: the application is only for members of certain groups',
  'token.denied': 'An application’s access ended: it is only for members of certain groups',
  'group.member_added': 'Added to a group by an administrator',
  'group.member_removed': 'Removed from a group by an administrator',
  'user.attribute_set': 'Account details changed by an administrator',
  'device.approved': 'A device was allowed to sign in to an application with a code',
  'device.denied': 'A device’s request to sign in with a code was denied',
  'device.code_throttled': 'Device codes held back after too many wrong ones',
  'consent.granted': 'An application was allowed to access your account',
  'consent.denied': 'An application’s request to access your account was denied',
  'consent.revoked': 'An application’s access to your account was removed',
};

/** Why a session ended (SessionEndReason), as the end of a sentence. */
const SESSION_ENDS: Record<string, string> = {
  logout: 'Signed out',
  password_set: 'Signed out after a password change',
  admin: 'Signed out by an administrator',
  user_disabled: 'Signed out: the account was disabled',
  signed_in_again: 'Session replaced by a new sign-in in the same browser',
  key_revoked: 'Signed out: a signing key was withdrawn',
};

/** The sentence for an event; a type this page does not know is shown as it is. */
export function eventSentence(event: AuditEventRecord): string {
  if (event.type === 'session.ended') {
    const reason = event.details.reason;
    return (typeof reason === 'string' && Object.hasOwn(SESSION_ENDS, reason) ? SESSION_ENDS[reason] : undefined) ?? 'Session ended';
  }
  const known = Object.hasOwn(SENTENCES, event.type) ? SENTENCES[event.type] : undefined;
  if (known) return known;
  if (event.type.startsWith('user.')) return 'Changed by an administrator';
  return event.type;
}

export interface SecurityEventView {
  at: string;
  text: string;
  /** Only for what the person did or what was tried against them: an administrator's address is theirs to keep. */
  ip: string | null;
  application: string | null;
  failure: boolean;
}

export async function securityEvents(store: Store, userId: string, clientName: (clientId: string) => Promise<string>): Promise<SecurityEventView[]> {
  const events = await store.audit.list({ limit: RECENT_EVENTS, filter: { subject: userId } });
  return Promise.all(
    // The store already filters by subject; checked again so that a filter bug can never show another person's events.
    events
      .filter((event) => event.subject === userId)
      .map(async (event) => ({
        at: formatTime(event.at),
        text: eventSentence(event),
        ip: event.actor === userId || event.actor === 'anonymous' ? event.ip : null,
        application: event.clientId ? await clientName(event.clientId) : null,
        failure: event.outcome === 'failure',
      })),
  );
}

/** Names clients by id, looking each up once however many rows share it. */
export function clientNamer(store: Store): (clientId: string) => Promise<string> {
  const clients = new Map<string, Promise<ClientRecord | null>>();
  return async (clientId) => {
    if (!clients.has(clientId)) clients.set(clientId, store.clients.findById(clientId));
    return (await clients.get(clientId))?.name ?? 'An application that was removed';
  };
}
