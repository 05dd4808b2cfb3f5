// What the upstream relying-party suites (oidc-upstream, oauth2-upstream) share: a secret box of their own, the
// clients of src/federation/upstreams.ts built on it, and the check of a refusal (an UpstreamSignInFailed that
// shows no secret).
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { secretBox } from '../../src/auth/secret-box.js';
import { UpstreamSignInFailed } from '../../src/errors.js';
import { createUpstreamClients } from '../../src/federation/upstreams.js';

/** The set-up of a suite whose provider rows carry `clientSecret`. */
export function upstreamTestSetup(clientSecret: string) {
  const box = secretBox(randomBytes(32));
  return {
    box,
    newClients(timeoutMs = 5000) {
      return createUpstreamClients({ timeoutMs, secretBox: async () => box });
    },
    /** The refusal, checked to hold no secret, code, token or verifier (`secrets`) in its message or its detail. */
    async refusal(promise: Promise<unknown>, ...secrets: (string | null | undefined)[]): Promise<UpstreamSignInFailed> {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UpstreamSignInFailed);
      const failure = error as UpstreamSignInFailed;
      // Never a secret, a code, a token or a verifier in what is shown or logged.
      for (const text of [failure.message, failure.detail ?? '']) {
        for (const secret of [clientSecret, ...secrets]) if (secret) expect(text).not.toContain(secret);
      }
      return failure;
    },
  };
}

/** A callback URL with one query parameter changed (null: removed). */
export function withParam(callback: URL, name: string, value: string | null): URL {
  const changed = new URL(callback);
  if (value === null) changed.searchParams.delete(name);
  else changed.searchParams.set(name, value);
  return changed;
}
