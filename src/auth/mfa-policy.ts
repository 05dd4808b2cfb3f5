// When a sign-in must end with two factors, and how an ID token says which it had. Four things ask for it:
// the operator for everyone (REQUIRE_MFA), the operator for one application (its "require multi-factor"
// setting), the operator for the members of a group (its "require multi-factor", everywhere: issue 21), and the
// application for one request (acr_values naming ACR_MFA, OIDC Core §3.1.2.1).
// Only the operator's rules may make a person who has no second factor set one up during a sign-in
// (enrolmentRequired): acr_values come with whatever link a stranger sends, so a request asking for two factors
// of a person who has none is answered `unmet_authentication_requirements`, and never binds a new authenticator
// on a password alone (NIST SP 800-63B-4, authenticator binding: a new authenticator is bound under
// authentication at the level it will give, or, for an account that has only a password, with a notice to its
// owner; a stranger's link is neither).
import type { ClientRecord } from '../store/records.js';

/** The authentication context classes we issue (OIDC Core §2 `acr`), advertised in discovery. */
export const ACR_PASSWORD = 'urn:gatehouse:acr:password';
export const ACR_MFA = 'urn:gatehouse:acr:mfa';
export const ACR_VALUES_SUPPORTED = [ACR_PASSWORD, ACR_MFA];

/** The `acr` of a sign-in from its `amr` (RFC 8176): two factors, or one. */
export function acrOf(amr: readonly string[]): string {
  return amr.includes('mfa') ? ACR_MFA : ACR_PASSWORD;
}

export interface MfaPolicyInput {
  /** REQUIRE_MFA */
  requireMfa: boolean;
  /** The application signed in to; null for our own pages (account, admin). */
  client: Pick<ClientRecord, 'requireMfa'> | null;
  /** The request's acr_values, most preferred first. */
  acrValues: readonly string[];
  /** One of the person's groups requires a second factor (src/auth/access-rules.ts groupsRequireMfa). */
  groupRequiresMfa?: boolean;
}

export function mfaRequired({ requireMfa, client, acrValues, groupRequiresMfa = false }: MfaPolicyInput): boolean {
  return requireMfa || (client?.requireMfa ?? false) || groupRequiresMfa || acrValues.includes(ACR_MFA);
}

/**
 * Whether a person with no second factor is set one up during this sign-in: only when the operator demands two
 * factors (for everyone, for this application, or for one of the person's groups), never because the request
 * asked (acr_values).
 */
export function enrolmentRequired({ requireMfa, client, groupRequiresMfa = false }: Pick<MfaPolicyInput, 'requireMfa' | 'client' | 'groupRequiresMfa'>): boolean {
  return requireMfa || (client?.requireMfa ?? false) || groupRequiresMfa;
}

/** Whether a sign-in with these methods satisfies the policy (an existing session, for single sign-on). */
export function satisfiesMfaPolicy(amr: readonly string[], input: MfaPolicyInput): boolean {
  return !mfaRequired(input) || amr.includes('mfa');
}
