// Issue 28's two settings of an application, checked here for src/manage/clients.ts (so for the `idp` tool, the admin
// screens, the management API and dynamic registration, src/oidc/registration.ts, alike):
// - `require_pushed_authorization_requests` (RFC 9126 §6): its authorization requests must come through the pushed
//   authorization request endpoint (/par); a plain request at /authorize is refused (src/oidc/authorization-request.ts).
//   REQUIRE_PAR requires it of every client whatever this says. A client that sends no authorization request (a
//   machine client, or one that uses only the device flow) has nothing to push: asking it of one is refused, rather
//   than stored as a rule that would never apply;
// - `dpop_bound_access_tokens` (RFC 9449 §5.2): every token request must carry a DPoP proof, so that each of its
//   access tokens is bound to the client's key (src/oidc/token.ts refuses a request without one).
// Both default to false; absent keeps them as they are (an update), and only true or false is taken (fail closed:
// a "yes" typed where a boolean belongs is refused, not read as false).
import { ValidationError } from '../errors.js';
import type { ClientPatch, ClientRecord } from '../store/records.js';
import type { ClientShape } from './client-registration-rules.js';

/** The issue-28 settings that may change after registration too (part of ClientSettings, src/manage/clients.ts). */
export interface SenderConstraintSettings {
  /** RFC 9126 §6: authorization requests only through /par; absent keeps it as it is (false for a new client). */
  requirePushedAuthorizationRequests?: boolean;
  /** RFC 9449 §5.2: every token request with a DPoP proof; absent keeps it as it is (false for a new client). */
  dpopBoundAccessTokens?: boolean;
}

export type SenderConstraintFields = Pick<ClientRecord, 'requirePushedAuthorizationRequests' | 'dpopBoundAccessTokens'>;

export const NO_SENDER_CONSTRAINTS: SenderConstraintFields = { requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false };

/** Record field → its registration name (RFC 9126 §6, RFC 9449 §5.2), as errors and `client.updated` name it. */
const SETTINGS = [
  ['requirePushedAuthorizationRequests', 'require_pushed_authorization_requests'],
  ['dpopBoundAccessTokens', 'dpop_bound_access_tokens'],
] as const;

/**
 * The issue-28 fields the settings give a client whose fields are `current` (a new client: NO_SENDER_CONSTRAINTS);
 * absent settings keep theirs. Throws a ValidationError (named by the registration name) for a value that is not a
 * boolean, or for requiring pushed requests of a client that makes no authorization request.
 */
export function senderConstraintFields(input: SenderConstraintSettings, current: SenderConstraintFields, shape: ClientShape): SenderConstraintFields {
  const next: SenderConstraintFields = { ...current };
  for (const [key, field] of SETTINGS) {
    // Typed, but a caller (a form, a JSON body) may still pass anything.
    const value: unknown = input[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new ValidationError(field, `${field} must be true or false`);
    next[key] = value;
  }
  if (next.requirePushedAuthorizationRequests && !current.requirePushedAuthorizationRequests && !shape.code) {
    throw new ValidationError(
      'require_pushed_authorization_requests',
      shape.machine
        ? 'a machine client makes no authorization request (client credentials only): there is nothing to push'
        : 'this client uses only the device flow and makes no authorization request: there is nothing to push',
    );
  }
  return next;
}

/** The registration names (as client.updated audits them) of the issue-28 fields `next` changes in `client`. */
export function senderConstraintChanges(client: SenderConstraintFields, next: SenderConstraintFields): { patch: ClientPatch; changed: string[] } {
  const patch: ClientPatch = {};
  const changed: string[] = [];
  for (const [key, field] of SETTINGS) {
    if (next[key] !== client[key]) {
      patch[key] = next[key];
      changed.push(field);
    }
  }
  return { patch, changed };
}
