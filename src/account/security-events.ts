// The recent security events of the signed-in person's own account, as plain sentences in the page's language
// (the `account.events` and `account.sessionEnds` keys). Only events whose subject is this account are read (the
// store filters by subject), so nobody sees another person's events.
import type { AuditEventRecord, ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { Translate } from '../i18n/catalog.js';

/** How many of the newest events the page shows. */
export const RECENT_EVENTS = 20;

const SENTENCES: Record<string, (t: Translate) => string> = {
  'signin.succeeded': (t) => t('account.events.signinSucceeded'),
  'signin.failed': (t) => t('account.events.signinFailed'),
  'signin.throttled': (t) => t('account.events.signinThrottled'),
  'password_reset.requested': (t) => t('account.events.passwordResetRequested'),
  'password_reset.completed': (t) => t('account.events.passwordResetCompleted'),
  'account.password_changed': (t) => t('account.events.accountPasswordChanged'),
  'account.name_changed': (t) => t('account.events.accountNameChanged'),
  'account.signed_out_everywhere': (t) => t('account.events.accountSignedOutEverywhere'),
  'account.password_check_failed': (t) => t('account.events.accountPasswordCheckFailed'),
  'account.password_check_throttled': (t) => t('account.events.accountPasswordCheckThrottled'),
  'account.second_factor_check_failed': (t) => t('account.events.accountSecondFactorCheckFailed'),
  'account.totp_setup_started': (t) => t('account.events.accountTotpSetupStarted'),
  'account.totp_enabled': (t) => t('account.events.accountTotpEnabled'),
  'account.totp_disabled': (t) => t('account.events.accountTotpDisabled'),
  'account.recovery_codes_replaced': (t) => t('account.events.accountRecoveryCodesReplaced'),
  'account.passkey_added': (t) => t('account.events.accountPasskeyAdded'),
  'account.passkey_removed': (t) => t('account.events.accountPasskeyRemoved'),
  'email.change_requested': (t) => t('account.events.emailChangeRequested'),
  'email.changed': (t) => t('account.events.emailChanged'),
  'email.verified': (t) => t('account.events.emailVerified'),
  'email.verification_throttled': (t) => t('account.events.emailVerificationThrottled'),
  'email.confirmation_refused': (t) => t('account.events.emailConfirmationRefused'),
  'admin.reauthenticated': (t) => t('account.events.adminReauthenticated'),
  'admin.reauthentication_failed': (t) => t('account.events.adminReauthenticationFailed'),
  'session.revoked_by_admin': (t) => t('account.events.sessionRevokedByAdmin'),
  'user.created': (t) => t('account.events.userCreated'),
  'user.password_set': (t) => t('account.events.userPasswordSet'),
  'user.disabled': (t) => t('account.events.userDisabled'),
  'user.enabled': (t) => t('account.events.userEnabled'),
  'user.signed_out_everywhere': (t) => t('account.events.userSignedOutEverywhere'),
  'user.second_factors_reset': (t) => t('account.events.userSecondFactorsReset'),
  'code.reused': (t) => t('account.events.codeReused'),
  'refresh_token.reused': (t) => t('account.events.refreshTokenReused'),
  'token.revoked': (t) => t('account.events.tokenRevoked'),
  'signin.denied': (t) => t('account.events.signinDenied'),
  'token.denied': (t) => t('account.events.tokenDenied'),
  'group.member_added': (t) => t('account.events.groupMemberAdded'),
  'group.member_removed': (t) => t('account.events.groupMemberRemoved'),
  'user.attribute_set': (t) => t('account.events.userAttributeSet'),
  'device.approved': (t) => t('account.events.deviceApproved'),
  'device.denied': (t) => t('account.events.deviceDenied'),
  'device.code_throttled': (t) => t('account.events.deviceCodeThrottled'),
  'consent.granted': (t) => t('account.events.consentGranted'),
  'consent.denied': (t) => t('account.events.consentDenied'),
  'consent.revoked': (t) => t('account.events.consentRevoked'),
  'user.preferences_changed': (t) => t('account.events.userPreferencesChanged'),
};

/** Why a session ended (SessionEndReason), as the end of a sentence. */
const SESSION_ENDS: Record<string, (t: Translate) => string> = {
  logout: (t) => t('account.sessionEnds.logout'),
  password_set: (t) => t('account.sessionEnds.passwordSet'),
  admin: (t) => t('account.sessionEnds.admin'),
  user_disabled: (t) => t('account.sessionEnds.userDisabled'),
  signed_in_again: (t) => t('account.sessionEnds.signedInAgain'),
  key_revoked: (t) => t('account.sessionEnds.keyRevoked'),
  expired: (t) => t('account.sessionEnds.expired'),
};

/** The sentence for an event; a type this page does not know is shown as it is. */
export function eventSentence(t: Translate, event: Pick<AuditEventRecord, 'type' | 'details'>): string {
  if (event.type === 'session.ended') {
    const reason = event.details.reason;
    const known = typeof reason === 'string' && Object.hasOwn(SESSION_ENDS, reason) ? SESSION_ENDS[reason] : undefined;
    return known ? known(t) : t('account.sessionEnds.ended');
  }
  const known = Object.hasOwn(SENTENCES, event.type) ? SENTENCES[event.type] : undefined;
  if (known) return known(t);
  if (event.type.startsWith('user.')) return t('account.events.changedByAdministrator');
  return event.type;
}

export interface SecurityEventView {
  /** When (ms); the view shows it in the person's language and time zone. */
  at: number;
  text: string;
  /** Only for what the person did or what was tried against them: an administrator's address is theirs to keep. */
  ip: string | null;
  application: string | null;
  failure: boolean;
}

export async function securityEvents(store: Store, t: Translate, userId: string, clientName: (clientId: string) => Promise<string>): Promise<SecurityEventView[]> {
  const events = await store.audit.list({ limit: RECENT_EVENTS, filter: { subject: userId } });
  return Promise.all(
    // The store already filters by subject; checked again so that a filter bug can never show another person's events.
    events
      .filter((event) => event.subject === userId)
      .map(async (event) => ({
        at: event.at,
        text: eventSentence(t, event),
        ip: event.actor === userId || event.actor === 'anonymous' ? event.ip : null,
        application: event.clientId ? await clientName(event.clientId) : null,
        failure: event.outcome === 'failure',
      })),
  );
}

/** Names clients by id, looking each up once however many rows share it. */
export function clientNamer(store: Store, t: Translate): (clientId: string) => Promise<string> {
  const clients = new Map<string, Promise<ClientRecord | null>>();
  return async (clientId) => {
    if (!clients.has(clientId)) clients.set(clientId, store.clients.findById(clientId));
    return (await clients.get(clientId))?.name ?? t('account.events.removedApplication');
  };
}
