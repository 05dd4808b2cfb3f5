// The Store on one SQLite file: opens and migrates it, then hands out one repository per table.
import type { SqliteSynchronous } from '../../config.js';
import { StoreUnavailableError } from '../../errors.js';
import type { Store } from '../store.js';
import { SqliteAccessTokenRepository } from './access-tokens.js';
import { SqliteAccountTokenRepository } from './account-tokens.js';
import { SqliteApiRepository } from './apis.js';
import { SqliteAuditRepository } from './audit.js';
import { SqliteAttributeRepository } from './attributes.js';
import { SqliteAuthorizationRequestRepository } from './authorization-requests.js';
import { SqliteBrandingRepository } from './branding.js';
import { SqliteAdminTokenRepository } from './admin-tokens.js';
import { SqliteWebhookRepository } from './webhooks.js';
import { SqliteDeliveryRepository } from './deliveries.js';
import { SqliteClientSightingRepository } from './client-sightings.js';
import { SqliteClientAssertionRepository } from './client-assertions.js';
import { SqlitePushedRequestRepository } from './pushed-requests.js';
import { SqliteUsedJtiRepository } from './used-jtis.js';
import { SqliteClientRepository } from './clients.js';
import { SqliteAuthorizationCodeRepository } from './codes.js';
import { SqliteConsentRepository } from './consents.js';
import { SqliteDeviceCodeRepository } from './device-codes.js';
import { SqliteFederatedIdentityRepository } from './federated-identities.js';
import { SqliteFederationStateRepository } from './federation-states.js';
import { migrateSqlite, openSqliteDatabase, type SqliteDatabase } from './database.js';
import { SqliteGroupRepository } from './groups.js';
import { SqliteIdentityProviderRepository } from './identity-providers.js';
import { SqlitePasskeyRepository } from './passkeys.js';
import { SqliteRecoveryCodeRepository } from './recovery-codes.js';
import { SqliteRefreshTokenRepository } from './refresh-tokens.js';
import { SqliteRegistrationTokenRepository } from './registration-tokens.js';
import { SqliteSessionRepository } from './sessions.js';
import { SqliteSignInChallengeRepository } from './sign-in-challenges.js';
import { SqliteSigningKeyRepository } from './signing-keys.js';
import { SqliteThrottleRepository } from './throttle.js';
import { SqliteTotpRepository } from './totp.js';
import { SqliteIssuanceRepository } from './issuance.js';
import { SqliteTransferRepository } from './transfer.js';
import { SqliteUserRepository } from './users.js';

export interface SqliteStoreOptions {
  file: string;
  synchronous: SqliteSynchronous;
  /** AUDIT_CHAIN_KEY: new audit events are chained with HMAC-SHA-256 under it (src/audit/chain.ts). */
  auditChainKey?: Uint8Array | null;
}

export class SqliteStore implements Store {
  readonly users: SqliteUserRepository;
  readonly clients: SqliteClientRepository;
  readonly groups: SqliteGroupRepository;
  readonly attributes: SqliteAttributeRepository;
  readonly apis: SqliteApiRepository;
  readonly deviceCodes: SqliteDeviceCodeRepository;
  readonly clientAssertions: SqliteClientAssertionRepository;
  readonly pushedRequests: SqlitePushedRequestRepository;
  readonly usedJtis: SqliteUsedJtiRepository;
  readonly identityProviders: SqliteIdentityProviderRepository;
  readonly federatedIdentities: SqliteFederatedIdentityRepository;
  readonly federationStates: SqliteFederationStateRepository;
  readonly consents: SqliteConsentRepository;
  readonly registrationTokens: SqliteRegistrationTokenRepository;
  readonly branding: SqliteBrandingRepository;
  readonly signingKeys: SqliteSigningKeyRepository;
  readonly sessions: SqliteSessionRepository;
  readonly codes: SqliteAuthorizationCodeRepository;
  readonly refreshTokens: SqliteRefreshTokenRepository;
  readonly authorizationRequests: SqliteAuthorizationRequestRepository;
  readonly accessTokens: SqliteAccessTokenRepository;
  readonly audit: SqliteAuditRepository;
  readonly throttle: SqliteThrottleRepository;
  readonly accountTokens: SqliteAccountTokenRepository;
  readonly totp: SqliteTotpRepository;
  readonly recoveryCodes: SqliteRecoveryCodeRepository;
  readonly passkeys: SqlitePasskeyRepository;
  readonly signInChallenges: SqliteSignInChallengeRepository;
  readonly issuance: SqliteIssuanceRepository;
  readonly transfer: SqliteTransferRepository;
  readonly adminTokens: SqliteAdminTokenRepository;
  readonly webhooks: SqliteWebhookRepository;
  readonly deliveries: SqliteDeliveryRepository;
  readonly clientSightings: SqliteClientSightingRepository;
  private readonly pingStmt;

  /** Expects a migrated database; openSqliteStore is the usual way in. */
  constructor(
    private readonly db: SqliteDatabase,
    { auditChainKey = null }: Pick<SqliteStoreOptions, 'auditChainKey'> = {},
  ) {
    this.users = new SqliteUserRepository(db);
    this.clients = new SqliteClientRepository(db);
    this.groups = new SqliteGroupRepository(db);
    this.attributes = new SqliteAttributeRepository(db);
    this.apis = new SqliteApiRepository(db);
    this.deviceCodes = new SqliteDeviceCodeRepository(db);
    this.clientAssertions = new SqliteClientAssertionRepository(db);
    this.pushedRequests = new SqlitePushedRequestRepository(db);
    this.usedJtis = new SqliteUsedJtiRepository(db);
    this.identityProviders = new SqliteIdentityProviderRepository(db);
    this.federatedIdentities = new SqliteFederatedIdentityRepository(db);
    this.federationStates = new SqliteFederationStateRepository(db);
    this.consents = new SqliteConsentRepository(db);
    this.registrationTokens = new SqliteRegistrationTokenRepository(db);
    this.branding = new SqliteBrandingRepository(db);
    this.adminTokens = new SqliteAdminTokenRepository(db);
    this.webhooks = new SqliteWebhookRepository(db);
    this.deliveries = new SqliteDeliveryRepository(db);
    this.clientSightings = new SqliteClientSightingRepository(db);
    this.signingKeys = new SqliteSigningKeyRepository(db);
    this.sessions = new SqliteSessionRepository(db);
    this.codes = new SqliteAuthorizationCodeRepository(db);
    this.refreshTokens = new SqliteRefreshTokenRepository(db);
    this.authorizationRequests = new SqliteAuthorizationRequestRepository(db);
    this.accessTokens = new SqliteAccessTokenRepository(db);
    // A key that crossed to the writer thread arrives as a plain Uint8Array.
    this.audit = new SqliteAuditRepository(db, auditChainKey ? Buffer.from(auditChainKey) : null);
    this.throttle = new SqliteThrottleRepository(db);
    this.accountTokens = new SqliteAccountTokenRepository(db);
    this.totp = new SqliteTotpRepository(db);
    this.recoveryCodes = new SqliteRecoveryCodeRepository(db);
    this.passkeys = new SqlitePasskeyRepository(db);
    this.signInChallenges = new SqliteSignInChallengeRepository(db);
    this.issuance = new SqliteIssuanceRepository(db, this.accessTokens, this.sessions, this.refreshTokens, this.codes);
    this.transfer = new SqliteTransferRepository(db);
    this.pingStmt = db.prepare('SELECT 1');
  }

  async ping(): Promise<void> {
    try {
      this.pingStmt.get();
    } catch (error) {
      throw new StoreUnavailableError(`the SQLite database does not answer: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    // better-sqlite3 treats closing a closed database as a no-op, so close() may be called twice.
    this.db.close();
  }
}

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = openSqliteDatabase(options.file, { synchronous: options.synchronous });
  try {
    migrateSqlite(db);
    return new SqliteStore(db, options);
  } catch (error) {
    db.close();
    throw error;
  }
}
