// What the rest of Gatehouse sees of federation (issue 23): one small interface per upstream kind, as Dex's
// connectors have it. Upstream OpenID Connect and OAuth 2 providers sign people in through the browser
// (UpstreamClient: a redirect there and a code back); directories check a password typed into our own form
// (Directory). Both end in an UpstreamIdentity that src/federation/linking.ts turns into a Gatehouse account.
import type { Config } from '../config.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { Logger } from '../logger.js';
import type { IdentityProviderRecord } from '../store/records.js';
import { createDirectories } from './directories.js';
import { createUpstreamClients } from './upstreams.js';

/** Who the upstream says the person is, after the claim mapping (provider-settings.ts ClaimMapping). */
export interface UpstreamIdentity {
  /** The upstream's stable id for the person (FederatedIdentityRecord.subject). */
  subject: string;
  /** As the upstream gives it (trimmed); null when it gave none. */
  email: string | null;
  /** True only when the upstream asserts it (`email_verified: true`, or a directory: its entries are the organisation's). */
  emailVerified: boolean;
  name: string | null;
  /** Group names as the upstream names them ([] when none or not mapped). */
  groups: string[];
  /** Gatehouse attribute name → value, from the mapping. */
  attributes: Record<string, string>;
  /** The upstream's own `amr` (RFC 8176), [] when it says nothing: `mfa`/`hwk` count only if the provider is trusted for them. */
  amr: string[];
}

/** What a browser sign-in at an upstream needs kept (sealed, bound to the browser) until the callback. */
export interface UpstreamAuthorization {
  /** Where to send the browser. */
  url: string;
  state: string;
  /** OpenID Connect only; null for OAuth 2. */
  nonce: string | null;
  /** RFC 7636 verifier; the URL carries its S256 challenge. */
  codeVerifier: string;
}

/** An upstream OpenID Connect or OAuth 2 provider, as a strict relying party sees it. */
export interface UpstreamClient {
  /** A new authorization request (code flow, PKCE S256, `state`, and `nonce` for OpenID Connect); `loginHint` is passed on when given. */
  beginSignIn(redirectUri: string, options?: { loginHint?: string }): Promise<UpstreamAuthorization>;
  /**
   * Checks the callback (`state`, RFC 9207 `iss` when the upstream sends or advertises it, an `error` answer),
   * exchanges the code (PKCE), verifies the ID token (signature against the upstream's JWKS, refetched for an
   * unknown `kid`; `iss`, `aud`, `azp`, `exp`, `nonce`) or reads user-info, and maps the claims.
   * Throws UpstreamSignInFailed with a page-safe message (what the upstream said, or that it is down or too slow).
   */
  finishSignIn(callbackUrl: URL, expected: Pick<UpstreamAuthorization, 'state' | 'nonce' | 'codeVerifier'>, redirectUri: string): Promise<UpstreamIdentity>;
}

export interface UpstreamClients {
  /** The client of this provider row (cached per slug and `updatedAt`; the secret opened from the secret box). */
  clientFor(provider: IdentityProviderRecord): Promise<UpstreamClient>;
  /** Forgets cached discovery documents and clients (tests; a provider's update changes `updatedAt` anyway). */
  clear(): void;
}

/** A directory entry found for an email, mapped. */
export interface DirectoryEntry {
  dn: string;
  /** entryUUID (OpenLDAP) or objectGUID (Active Directory), else the DN: FederatedIdentityRecord.subject. */
  subject: string;
  email: string;
  name: string | null;
  /** Group names (each group entry's `cn`, from memberOf or the group search). */
  groups: string[];
  /** ppolicy's pwdAccountLockedTime, or Active Directory's userAccountControl ACCOUNTDISABLE (0x2) bit. */
  locked: boolean;
}

/**
 * The outcome of checking an email and password against a directory. `not_found`: no entry for the email;
 * `refused`: a wrong password or a locked entry (the same generic failure for the person; `reason` for the audit).
 * A directory that is down, slow (FEDERATION_TIMEOUT_MS) or refuses the service account throws DirectoryUnavailable.
 */
export type DirectoryCheck = { outcome: 'authenticated'; entry: DirectoryEntry } | { outcome: 'not_found' } | { outcome: 'refused'; reason: 'wrong_password' | 'locked'; entry: DirectoryEntry };

export interface Directory {
  /** Searches as the service account (the email escaped per RFC 4515), then binds as the entry with the password. */
  authenticate(email: string, password: string): Promise<DirectoryCheck>;
  /** The entry for an email, searched as the service account; null when none (exactly one match is required). */
  findByEmail(email: string): Promise<DirectoryEntry | null>;
}

export interface Directories {
  /** The directory of this provider row (connections pooled and bounded per directory, cached per slug and `updatedAt`). */
  directoryFor(provider: IdentityProviderRecord): Promise<Directory>;
  /** Closes every pooled connection. */
  close(): Promise<void>;
}

/** Federation's long-lived parts, one per process (created in src/http/app.ts or passed in by src/services.ts). */
export interface Federation {
  upstreams: UpstreamClients;
  directories: Directories;
  close(): Promise<void>;
}

/** `logger` hears of directory misconfigurations (an email matching two entries); never of credentials. */
export function createFederation(config: Pick<Config, 'federationTimeoutMs'>, secretBox: () => Promise<SecretBox>, logger?: Pick<Logger, 'warn'>): Federation {
  const upstreams = createUpstreamClients({ timeoutMs: config.federationTimeoutMs, secretBox });
  const directories = createDirectories({ timeoutMs: config.federationTimeoutMs, secretBox, ...(logger ? { logger } : {}) });
  return {
    upstreams,
    directories,
    close: async () => {
      upstreams.clear();
      await directories.close();
    },
  };
}
