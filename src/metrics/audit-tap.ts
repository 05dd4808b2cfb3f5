// Counters read off audit events as they are stored (instrument-store.ts): where the audit log already says a
// sign-in succeeded or failed, or a refresh token was reused, the metric is counted from that one record. Only the
// event's type and the coarse fields named below are read; nothing personal leaves this function.
import type { NewAuditEvent } from '../store/records.js';
import { metrics, type SignInMethod } from './metrics.js';

/** signin.failed reasons that belong to the second step (src/interaction/sign-in-audit.ts auditFailure). */
const SECOND_FACTOR_FAILURES = new Set(['wrong_second_factor', 'second_factor_missing']);

/**
 * The first factor of a completed sign-in, from its RFC 8176 `amr`: `fed` (an upstream provider, src/federation/
 * linking.ts), `pwd` (a password, local or a directory's), else a passkey (`hwk`/`swk`, src/auth/passkeys.ts).
 */
function firstFactor(amr: readonly unknown[]): SignInMethod | null {
  if (amr.includes('fed')) return 'federated';
  if (amr.includes('pwd')) return 'password';
  if (amr.includes('hwk') || amr.includes('swk')) return 'passkey';
  return null;
}

function failedStep(reason: unknown): SignInMethod {
  if (typeof reason === 'string' && SECOND_FACTOR_FAILURES.has(reason)) return 'second_factor';
  if (reason === 'passkey_refused') return 'passkey';
  // A wrong password, an unknown or disabled account, a directory's refusal: the password step.
  return 'password';
}

/**
 * Sign-ins: a completed one (`signin.succeeded`) counts once under its first factor, and once more under
 * `second_factor` when it took one (amr `otp`); a refused step (`signin.failed`) under the step's method; an
 * upstream provider's refusal (`signin.federated` with outcome failure) under `federated`. An upstream's success is
 * not counted there: the sign-in it starts is counted when it completes. Throttled attempts are not sign-in
 * failures here (their audit is budgeted): gatehouse_throttled_requests_total{rule="signin"} counts them.
 */
export function countAuditEvent(event: NewAuditEvent): void {
  switch (event.type) {
    case 'signin.succeeded': {
      const amr = Array.isArray(event.details.amr) ? (event.details.amr as unknown[]) : [];
      const method = firstFactor(amr);
      if (method) metrics.signIn(method, 'success');
      if (amr.includes('otp')) metrics.signIn('second_factor', 'success');
      return;
    }
    case 'signin.failed':
      metrics.signIn(failedStep(event.details.reason), 'failure');
      return;
    case 'signin.federated':
      if (event.outcome === 'failure') metrics.signIn('federated', 'failure');
      return;
    case 'refresh_token.reused':
      metrics.refreshTokenReuse();
      return;
  }
}
