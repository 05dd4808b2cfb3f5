// The forms of /device are bound to the browser and the session that show them (OWASP ASVS V4.2.2). Their CSRF token
// is derived from the browser's secret cookie and the session, as the sign-in forms' are (pending-request.ts). The
// approval form also carries which authorization it decides, sealed (AES-256-GCM under the server's secrets key,
// src/auth/secret-box.ts) with the browser and the session as associated data: another browser, another session or
// a hand-made value cannot open it. So the only way to an approval is through the code-entry form, whose every wrong
// code the throttle counts: the decision route is no way around it, and nothing is approved from a GET.
import { hashSecret } from '../auth/secrets.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { DeviceCodeRecord, SessionRecord } from '../store/records.js';
import { csrfTokenFor } from './pending-request.js';

/** The authorization an approval form decides. */
export interface DecisionTarget {
  deviceCodeHash: string;
  userCodeHash: string;
}

export function deviceCsrfToken(browser: string, session: Pick<SessionRecord, 'idHash'>): string {
  return csrfTokenFor(browser, `device\0${session.idHash}`);
}

function decisionAad(browser: string, session: Pick<SessionRecord, 'idHash'>): string {
  return `gatehouse/device-decision/v1\0${hashSecret(browser)}\0${session.idHash}`;
}

export function sealDecision(box: SecretBox, browser: string, session: Pick<SessionRecord, 'idHash'>, record: Pick<DeviceCodeRecord, 'deviceCodeHash' | 'userCodeHash'>): string {
  return box.seal(JSON.stringify({ d: record.deviceCodeHash, u: record.userCodeHash }), decisionAad(browser, session));
}

/** The authorization a form decides, or null when it was not sealed for this browser and session (or altered). */
export function openDecision(box: SecretBox, browser: string, session: Pick<SessionRecord, 'idHash'>, sealed: string): DecisionTarget | null {
  let plain: string;
  try {
    plain = box.open(sealed, decisionAad(browser, session));
  } catch {
    return null;
  }
  const value = JSON.parse(plain) as { d?: unknown; u?: unknown };
  // Stryker disable next-line ConditionalExpression,LogicalOperator: only this module seals these values, always with both
  if (typeof value.d !== 'string' || typeof value.u !== 'string') return null;
  return { deviceCodeHash: value.d, userCodeHash: value.u };
}
