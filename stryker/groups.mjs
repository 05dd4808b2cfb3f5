// The module groups of `npm run mutate` (docs/mutation-testing.md): for each security-critical module, its source
// files, split into units, each unit with the test files whose subject it is. Read by scripts/mutate.mjs and
// stryker/vitest.config.ts.
//
// Why a test set per unit, not per group and not the whole suite: a mutant runs the tests that reached it (perTest
// coverage), and a mutant reached outside any test (an app started, a token fetched in a `beforeAll`) runs the
// unit's whole test set with the modules loaded afresh. Nearly every HTTP suite signs someone in and redeems a code,
// so with a broad set most mutants of src/oidc/ or src/auth/ would rerun ten suites or more, each starting an app:
// the set is what bounds the run. Each set is the suites that assert on what its files do; a suite that only passes
// through the code costs time and kills nothing. A mutant that survives its unit's set is reported, whoever else
// might have caught it: that is the finding (a property this unit's own tests do not pin down).
//
// A file of a group that no unit names is not mutated, and `npm run mutate -- --list` names it: add new files and
// new test suites here.

/** Suites that run the compiled dist/, a child process, Chromium or a second database: a mutant in src/ is invisible to them. */
export const neverMutationTests = [
  'test/cli/**',
  'test/process/**',
  'test/e2e/**',
  'test/cluster/**',
  'test/bench/**',
  'test/deploy/**',
  'test/docs/**',
  'test/transfer/**',
  'test/unit/chromium-check.test.ts',
];

/**
 * @typedef {{ mutate: string[]; tests: string[] }} Unit
 * @type {Record<string, { files: string; units: Record<string, Unit> }>}
 */
export const groups = {
  oidc: {
    files: 'src/oidc/**/*.ts',
    units: {
      authorize: {
        mutate: ['src/oidc/authorization-request.ts', 'src/oidc/authorization-response.ts', 'src/oidc/authorize.ts'],
        tests: [
          'test/http/authorize-errors.test.ts',
          'test/http/sso-and-prompt.test.ts',
          'test/http/code-flow.test.ts',
          'test/http/admission-limits.test.ts',
          'test/http/authorize-parameters.test.ts',
          'test/http/authorize-response.test.ts',
        ],
      },
      'code-grant': {
        mutate: ['src/oidc/token.ts', 'src/oidc/form-field.ts', 'src/oidc/pkce.ts', 'src/oidc/grants/authorization-code.ts', 'src/oidc/grants/issue-tokens.ts', 'src/oidc/claims.ts'],
        tests: [
          'test/http/token-endpoint.test.ts',
          'test/http/code-flow.test.ts',
          'test/http/userinfo.test.ts',
          'test/http/codes-after-session-end.test.ts',
          'test/http/token-request-parameters.test.ts',
          'test/http/token-code-replay.test.ts',
          'test/http/token-issuance.test.ts',
          'test/http/claims-without-name.test.ts',
        ],
      },
      'client-auth': {
        mutate: ['src/oidc/client-auth.ts'],
        tests: [
          'test/http/token-endpoint.test.ts',
          'test/http/client-auth-throttling.test.ts',
          'test/http/introspection.test.ts',
          'test/http/revocation.test.ts',
          'test/http/client-authentication.test.ts',
        ],
      },
      'refresh-grant': {
        mutate: ['src/oidc/grants/refresh-token.ts', 'src/oidc/grants/refresh-token-status.ts', 'src/oidc/grants/revoke-grant.ts', 'src/oidc/grants/refresh-retry.ts'],
        tests: [
          'test/http/refresh-grant.test.ts',
          'test/http/revocation.test.ts',
          'test/http/refresh-edge-cases.test.ts',
          'test/http/refresh-reuse-grace.test.ts',
          'test/unit/refresh-successor.test.ts',
          'test/http/refresh-scope-narrowing.test.ts',
          'test/http/refresh-retry-edge-cases.test.ts',
        ],
      },
      'presented-tokens': {
        mutate: ['src/oidc/presented-token.ts', 'src/oidc/userinfo.ts', 'src/oidc/introspection.ts', 'src/oidc/revocation.ts'],
        tests: ['test/http/userinfo.test.ts', 'test/http/introspection.test.ts', 'test/http/revocation.test.ts', 'test/http/presented-token-edge-cases.test.ts'],
      },
      documents: {
        mutate: ['src/oidc/discovery.ts', 'src/oidc/jwks.ts'],
        tests: ['test/http/discovery.test.ts', 'test/http/jwks.test.ts', 'test/http/public-documents.test.ts'],
      },
      'id-token-hint': {
        mutate: ['src/oidc/id-token-hint.ts'],
        tests: ['test/http/logout.test.ts', 'test/http/id-token-hint.test.ts'],
      },
    },
  },
  tokens: {
    files: 'src/tokens/**/*.ts',
    units: {
      tokens: {
        mutate: ['src/tokens/**/*.ts'],
        // code-flow: openid-client checks the ID token's times and nonce as a relying party does.
        tests: [
          'test/http/token-endpoint.test.ts',
          'test/http/code-flow.test.ts',
          'test/http/userinfo.test.ts',
          'test/http/introspection.test.ts',
          'test/signing/key-ring.test.ts',
          'test/http/id-token-claims.test.ts',
        ],
      },
    },
  },
  signing: {
    files: 'src/signing/**/*.ts',
    units: {
      'file-keys': {
        mutate: ['src/signing/file-key-store.ts', 'src/signing/key-store.ts', 'src/signing/rsa-key.ts'],
        tests: [
          'test/signing/file-key-store.test.ts',
          'test/signing/key-metadata.test.ts',
          'test/signing/file-key-store-edge-cases.test.ts',
          'test/signing/key-directory-watch.test.ts',
          'test/signing/key-info.test.ts',
        ],
      },
      'database-keys': {
        mutate: ['src/signing/database-key-store.ts', 'src/signing/key-encryption.ts'],
        tests: [
          'test/signing/database-key-store.test.ts',
          'test/signing/key-encryption.test.ts',
          'test/store/signing-keys.contract.test.ts',
          'test/signing/database-key-store-edge-cases.test.ts',
          'test/signing/sealed-values.test.ts',
        ],
      },
      'key-ring': {
        mutate: ['src/signing/key-ring.ts'],
        tests: ['test/signing/key-ring.test.ts', 'test/http/jwks.test.ts', 'test/signing/key-ring-edge-cases.test.ts'],
      },
      rotation: {
        mutate: ['src/signing/key-schedule.ts', 'src/signing/auto-rotation.ts', 'src/signing/key-retirement.ts'],
        tests: [
          'test/signing/key-retirement.test.ts',
          'test/signing/key-schedule.test.ts',
          'test/signing/auto-rotation.test.ts',
          'test/http/key-rotation.test.ts',
          'test/signing/key-schedule-edge-cases.test.ts',
          'test/signing/auto-rotation-edge-cases.test.ts',
        ],
      },
    },
  },
  auth: {
    files: 'src/auth/**/*.ts',
    units: {
      secrets: {
        mutate: ['src/auth/secrets.ts'],
        tests: ['test/http/token-endpoint.test.ts', 'test/http/client-auth-throttling.test.ts', 'test/http/login.test.ts'],
      },
      passwords: {
        mutate: ['src/auth/password-hash.ts', 'src/auth/password-policy.ts', 'src/auth/password-strength.ts', 'src/auth/common-passwords.ts', 'src/auth/generated-password.ts', 'src/auth/phc.ts'],
        tests: [
          'test/unit/password-hash.test.ts',
          'test/unit/password-policy.test.ts',
          'test/unit/password-policy-reasons.test.ts',
          'test/unit/password-policy-strength.test.ts',
          'test/http/password-reasons-admin.test.ts',
          'test/http/password-reasons-account.test.ts',
          'test/http/password-reasons-reset.test.ts',
          'test/http/account-password.test.ts',
          'test/http/admin-users.test.ts',
          'test/unit/generated-password.test.ts',
          'test/unit/password-policy-edge-cases.test.ts',
          'test/unit/common-passwords.test.ts',
          'test/unit/password-verification-count.test.ts',
          'test/unit/phc.test.ts',
          'test/unit/password-hash-portability.test.ts',
        ],
      },
      'sign-in': {
        mutate: ['src/auth/authenticate.ts', 'src/auth/throttle.ts', 'src/auth/sessions.ts'],
        tests: [
          'test/http/login.test.ts',
          'test/http/sign-in-throttling.test.ts',
          'test/http/client-auth-throttling.test.ts',
          'test/http/account-sessions.test.ts',
          'test/unit/throttle-address.test.ts',
          'test/http/admission-limits.test.ts',
          'test/unit/throttle.test.ts',
          'test/unit/throttle-wait.test.ts',
          'test/unit/throttle-address-edge-cases.test.ts',
          'test/unit/authenticate.test.ts',
          'test/http/sign-in-sessions-edge-cases.test.ts',
          'test/http/legacy-password-hash.test.ts',
        ],
      },
      'second-factors': {
        mutate: [
          'src/auth/totp.ts',
          'src/auth/totp-enrolment.ts',
          'src/auth/recovery-codes.ts',
          'src/auth/second-factor.ts',
          'src/auth/secret-box.ts',
          'src/auth/mfa-policy.ts',
          'src/auth/qr-svg.ts',
        ],
        tests: [
          'test/unit/totp.test.ts',
          'test/unit/recovery-codes.test.ts',
          'test/unit/secret-box.test.ts',
          'test/unit/qr-svg.test.ts',
          'test/http/two-factor.test.ts',
          'test/http/mfa-policy.test.ts',
          'test/http/admin-second-factors.test.ts',
          'test/unit/totp-edge-cases.test.ts',
          'test/unit/recovery-codes-edge-cases.test.ts',
          'test/unit/secret-box-edge-cases.test.ts',
          'test/unit/qr-svg-edge-cases.test.ts',
          'test/unit/mfa-policy.test.ts',
          'test/http/second-factor-edge-cases.test.ts',
        ],
      },
      'breached-passwords': {
        mutate: ['src/auth/breached-passwords.ts'],
        tests: ['test/unit/breached-passwords.test.ts', 'test/http/breached-password-sign-in.test.ts'],
      },
      passkeys: {
        mutate: ['src/auth/passkeys.ts'],
        tests: ['test/http/passkeys.test.ts', 'test/unit/passkeys.test.ts', 'test/http/passkey-registration-edge-cases.test.ts', 'test/http/passkey-sign-in-edge-cases.test.ts'],
      },
      'mailed-links': {
        mutate: ['src/auth/account-links.ts', 'src/auth/email-verification.ts'],
        tests: [
          'test/http/email-verification.test.ts',
          'test/http/mailed-links.test.ts',
          'test/http/password-reset.test.ts',
          'test/unit/account-links.test.ts',
          'test/http/mailed-link-edge-cases.test.ts',
          'test/http/mailed-link-pages.test.ts',
        ],
      },
    },
  },
  interaction: {
    files: 'src/interaction/**/*.ts',
    units: {
      login: {
        mutate: ['src/interaction/login.ts', 'src/interaction/sign-in-attempt.ts', 'src/interaction/browser-csrf.ts', 'src/interaction/complete-sign-in.ts'],
        tests: [
          'test/http/login.test.ts',
          'test/http/sign-in-throttling.test.ts',
          'test/http/security-headers.test.ts',
          'test/http/login-edge-cases.test.ts',
          'test/http/anonymous-form-csrf.test.ts',
          'test/http/sign-in-second-step-target.test.ts',
        ],
      },
      'sign-in-steps': {
        mutate: ['src/interaction/sign-in-steps.ts', 'src/interaction/sign-in-progress.ts', 'src/interaction/sign-in-audit.ts', 'src/interaction/new-password.ts'],
        tests: [
          'test/http/breached-password-sign-in.test.ts',
          'test/unit/sign-in-progress.test.ts',
          'test/http/sign-in-second-step-target.test.ts',
          'test/http/second-factor-edge-cases.test.ts',
          'test/http/login-edge-cases.test.ts',
        ],
      },
      'pending-request': {
        mutate: ['src/interaction/pending-request.ts', 'src/interaction/return-to.ts'],
        tests: ['test/http/sso-and-prompt.test.ts', 'test/http/account-access.test.ts', 'test/http/login.test.ts', 'test/unit/return-to.test.ts', 'test/http/pending-request-edge-cases.test.ts'],
      },
      'second-factor': {
        mutate: ['src/interaction/second-factor.ts'],
        tests: ['test/http/two-factor.test.ts', 'test/http/mfa-policy.test.ts', 'test/http/second-factor-edge-cases.test.ts'],
      },
      'passkey-sign-in': {
        mutate: ['src/interaction/passkey-sign-in.ts'],
        tests: ['test/http/passkeys.test.ts', 'test/http/admission-limits.test.ts', 'test/http/passkey-sign-in-edge-cases.test.ts'],
      },
      'mailed-links': {
        mutate: ['src/interaction/forgot-password.ts', 'src/interaction/reset-password.ts', 'src/interaction/verify-email.ts'],
        tests: [
          'test/http/password-reset.test.ts',
          'test/http/email-verification.test.ts',
          'test/http/mailed-links.test.ts',
          'test/http/mailed-link-pages.test.ts',
          'test/http/mailed-link-edge-cases.test.ts',
        ],
      },
      logout: {
        mutate: ['src/interaction/logout.ts', 'src/interaction/logout-request.ts'],
        tests: ['test/http/logout.test.ts', 'test/http/logout-edge-cases.test.ts'],
      },
    },
  },
};
