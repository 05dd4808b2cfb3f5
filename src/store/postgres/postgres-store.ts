// The Store on a PostgreSQL database: opens a pool and migrates, then hands out one repository per table.
import { StoreUnavailableError } from '../../errors.js';
import type { Store } from '../store.js';
import { PostgresAccessTokenRepository } from './access-tokens.js';
import { PostgresAccountTokenRepository } from './account-tokens.js';
import { PostgresApiRepository } from './apis.js';
import { PostgresAuditRepository } from './audit.js';
import { PostgresAttributeRepository } from './attributes.js';
import { PostgresAuthorizationRequestRepository } from './authorization-requests.js';
import { PostgresBrandingRepository } from './branding.js';
import { PostgresAdminTokenRepository } from './admin-tokens.js';
import { PostgresWebhookRepository } from './webhooks.js';
import { PostgresDeliveryRepository } from './deliveries.js';
import { PostgresClientSightingRepository } from './client-sightings.js';
import { PostgresClientAssertionRepository } from './client-assertions.js';
import { PostgresPushedRequestRepository } from './pushed-requests.js';
import { PostgresUsedJtiRepository } from './used-jtis.js';
import { PostgresClientRepository } from './clients.js';
import { PostgresAuthorizationCodeRepository } from './codes.js';
import { PostgresConsentRepository } from './consents.js';
import { PostgresDeviceCodeRepository } from './device-codes.js';
import { PostgresFederatedIdentityRepository } from './federated-identities.js';
import { PostgresFederationStateRepository } from './federation-states.js';
import { migratePostgres, openPostgresPool, type PostgresOptions, type PostgresPool } from './database.js';
import { PostgresGroupRepository } from './groups.js';
import { PostgresIdentityProviderRepository } from './identity-providers.js';
import { PostgresPasskeyRepository } from './passkeys.js';
import { PostgresRecoveryCodeRepository } from './recovery-codes.js';
import { PostgresRefreshTokenRepository } from './refresh-tokens.js';
import { PostgresRegistrationTokenRepository } from './registration-tokens.js';
import { PostgresSessionRepository } from './sessions.js';
import { PostgresSignInChallengeRepository } from './sign-in-challenges.js';
import { PostgresSigningKeyRepository } from './signing-keys.js';
import { PostgresThrottleRepository } from './throttle.js';
import { PostgresTotpRepository } from './totp.js';
import { PostgresIssuanceRepository } from './issuance.js';
import { PostgresTransferRepository } from './transfer.js';
import { PostgresUserRepository } from './users.js';

export type PostgresStoreOptions = PostgresOptions & {
  /** AUDIT_CHAIN_KEY: new audit events are chained with HMAC-SHA-256 under it (src/audit/chain.ts). */
  auditChainKey?: Buffer | null;
};

export class PostgresStore implements Store {
  readonly users: PostgresUserRepository;
  readonly clients: PostgresClientRepository;
  readonly groups: PostgresGroupRepository;
  readonly attributes: PostgresAttributeRepository;
  readonly apis: PostgresApiRepository;
  readonly deviceCodes: PostgresDeviceCodeRepository;
  readonly clientAssertions: PostgresClientAssertionRepository;
  readonly pushedRequests: PostgresPushedRequestRepository;
  readonly usedJtis: PostgresUsedJtiRepository;
  readonly identityProviders: PostgresIdentityProviderRepository;
  readonly federatedIdentities: PostgresFederatedIdentityRepository;
  readonly federationStates: PostgresFederationStateRepository;
  readonly consents: PostgresConsentRepository;
  readonly registrationTokens: PostgresRegistrationTokenRepository;
  readonly branding: PostgresBrandingRepository;
  readonly signingKeys: PostgresSigningKeyRepository;
  readonly sessions: PostgresSessionRepository;
  readonly codes: PostgresAuthorizationCodeRepository;
  readonly refreshTokens: PostgresRefreshTokenRepository;
  readonly authorizationRequests: PostgresAuthorizationRequestRepository;
  readonly accessTokens: PostgresAccessTokenRepository;
  readonly audit: PostgresAuditRepository;
  readonly throttle: PostgresThrottleRepository;
  readonly accountTokens: PostgresAccountTokenRepository;
  readonly totp: PostgresTotpRepository;
  readonly recoveryCodes: PostgresRecoveryCodeRepository;
  readonly passkeys: PostgresPasskeyRepository;
  readonly signInChallenges: PostgresSignInChallengeRepository;
  readonly issuance: PostgresIssuanceRepository;
  readonly transfer: PostgresTransferRepository;
  readonly adminTokens: PostgresAdminTokenRepository;
  readonly webhooks: PostgresWebhookRepository;
  readonly deliveries: PostgresDeliveryRepository;
  readonly clientSightings: PostgresClientSightingRepository;
  private ending: Promise<void> | undefined;

  /** Expects a migrated database; openPostgresStore is the usual way in. */
  constructor(
    private readonly pool: PostgresPool,
    { auditChainKey = null }: Pick<PostgresStoreOptions, 'auditChainKey'> = {},
  ) {
    this.users = new PostgresUserRepository(pool);
    this.clients = new PostgresClientRepository(pool);
    this.groups = new PostgresGroupRepository(pool);
    this.attributes = new PostgresAttributeRepository(pool);
    this.apis = new PostgresApiRepository(pool);
    this.deviceCodes = new PostgresDeviceCodeRepository(pool);
    this.clientAssertions = new PostgresClientAssertionRepository(pool);
    this.pushedRequests = new PostgresPushedRequestRepository(pool);
    this.usedJtis = new PostgresUsedJtiRepository(pool);
    this.identityProviders = new PostgresIdentityProviderRepository(pool);
    this.federatedIdentities = new PostgresFederatedIdentityRepository(pool);
    this.federationStates = new PostgresFederationStateRepository(pool);
    this.consents = new PostgresConsentRepository(pool);
    this.registrationTokens = new PostgresRegistrationTokenRepository(pool);
    this.branding = new PostgresBrandingRepository(pool);
    this.adminTokens = new PostgresAdminTokenRepository(pool);
    this.webhooks = new PostgresWebhookRepository(pool);
    this.deliveries = new PostgresDeliveryRepository(pool);
    this.clientSightings = new PostgresClientSightingRepository(pool);
    this.signingKeys = new PostgresSigningKeyRepository(pool);
    this.sessions = new PostgresSessionRepository(pool);
    this.codes = new PostgresAuthorizationCodeRepository(pool);
    this.refreshTokens = new PostgresRefreshTokenRepository(pool);
    this.authorizationRequests = new PostgresAuthorizationRequestRepository(pool);
    this.accessTokens = new PostgresAccessTokenRepository(pool);
    this.audit = new PostgresAuditRepository(pool, auditChainKey);
    this.throttle = new PostgresThrottleRepository(pool);
    this.accountTokens = new PostgresAccountTokenRepository(pool);
    this.totp = new PostgresTotpRepository(pool);
    this.recoveryCodes = new PostgresRecoveryCodeRepository(pool);
    this.passkeys = new PostgresPasskeyRepository(pool);
    this.signInChallenges = new PostgresSignInChallengeRepository(pool);
    this.issuance = new PostgresIssuanceRepository(this.accessTokens, this.sessions, this.refreshTokens, this.codes);
    this.transfer = new PostgresTransferRepository(pool);
  }

  async ping(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw new StoreUnavailableError(`the PostgreSQL database does not answer: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    // pg refuses to end a pool twice; close() may be called twice, as on SQLite.
    this.ending ??= this.pool.end();
    await this.ending;
  }
}

/** Opens the pool and applies pending migrations (waiting for any other node doing the same). */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = openPostgresPool(options);
  try {
    await migratePostgres(pool);
    return new PostgresStore(pool, options);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
