// Opens what the server and the `idp` tool share: the store (migrated) and the signing keys.
import { BreachedPasswords } from './auth/breached-passwords.js';
import { openSecretBox, type SecretBox } from './auth/secret-box.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { BackchannelLogout } from './logout/backchannel.js';
import { SessionTerminator } from './logout/session-end.js';
import { ConfigError } from './errors.js';
import { BackchannelSender } from './delivery/backchannel-sender.js';
import { DeliveryQueue } from './delivery/queue.js';
import { WebhookSender } from './delivery/webhook-sender.js';
import { createFederation, type Federation } from './federation/federation.js';
import { openMailer, type Mailer } from './mail/mailer.js';
import { ensureManagementApi } from './manage/management-api.js';
import { instrumentStore } from './metrics/instrument-store.js';
import { metricsServed } from './metrics/served.js';
import { claimCatalogOf, type ClaimCatalog } from './oidc/claim-catalog.js';
import { DatabaseKeyStore } from './signing/database-key-store.js';
import { FileKeyStore } from './signing/file-key-store.js';
import { KeyRing } from './signing/key-ring.js';
import { keyPolicy } from './signing/key-schedule.js';
import type { KeyStore } from './signing/key-store.js';
import { appliedSqliteMigrations, migrateSqlite, openSqliteDatabase } from './store/sqlite/database.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from './store/sqlite/thread/threaded-store.js';
import type { Store } from './store/store.js';

/** `pg` takes about 100 ms to load: an installation on SQLite never pays for it. */
async function postgresModules() {
  const [database, store] = await Promise.all([import('./store/postgres/database.js'), import('./store/postgres/postgres-store.js')]);
  return { ...database, ...store };
}

/**
 * The configured store, migrated: SQLite in DATA_DIR, or PostgreSQL at DATABASE_URL. `server` puts SQLite on a
 * thread of its own (group commit off the event loop); the `idp` tool's short runs use the connection directly.
 */
export async function openStore(config: Config, { server = false, warn }: { server?: boolean; warn?: (message: string) => void } = {}): Promise<Store> {
  if (config.database.engine === 'postgres') {
    const { openPostgresStore } = await postgresModules();
    return openPostgresStore({ url: config.database.url, poolSize: config.database.poolSize, auditChainKey: config.auditChainKey });
  }
  const options = { file: config.sqliteFile, synchronous: config.sqliteSynchronous, auditChainKey: config.auditChainKey };
  return server ? ThreadedSqliteStore.open(options, { warn }) : openSqliteStore(options);
}

/** Applies pending migrations (`idp migrate`); the server and every other command also do it on opening. */
export async function migrateDatabase(config: Config): Promise<{ applied: number[]; version: number }> {
  if (config.database.engine === 'postgres') {
    const { appliedPostgresMigrations, migratePostgres, openPostgresPool } = await postgresModules();
    const pool = openPostgresPool({ url: config.database.url, poolSize: 1 });
    try {
      const applied = await migratePostgres(pool);
      return { applied, version: (await appliedPostgresMigrations(pool)).at(-1) ?? 0 };
    } finally {
      await pool.end();
    }
  }
  const db = openSqliteDatabase(config.sqliteFile, { synchronous: config.sqliteSynchronous });
  try {
    const applied = migrateSqlite(db);
    return { applied, version: appliedSqliteMigrations(db).at(-1) ?? 0 };
  } finally {
    db.close();
  }
}

/** The signing keys: files in KEYS_DIR with SQLite, the store itself (encrypted, shared by every node) with PostgreSQL. */
export function openKeyStore(config: Config, store: Store): KeyStore {
  if (config.database.engine === 'postgres') {
    if (!config.keyEncryptionKey) throw new ConfigError('KEY_ENCRYPTION_KEY', 'is required with DATABASE_URL');
    return new DatabaseKeyStore(store, config.keyEncryptionKey, config.signingKeyBits, config.keyRefreshInterval * 1000);
  }
  return new FileKeyStore(config.keysDir, config.signingKeyBits);
}

export interface Services {
  store: Store;
  keyRing: KeyRing;
  /** Ends sessions and sends back-channel logouts. */
  sessionEnd: SessionTerminator;
  /** Outgoing mail: SMTP_URL, or the outbox in DATA_DIR. */
  mailer: Mailer;
  /** BREACHED_PASSWORDS_FILE, opened (and sampled) once; null when not configured. */
  breachedPasswords: BreachedPasswords | null;
  /** The attribute definitions as tokens and discovery release them, cached a few seconds (one per process). */
  claimCatalog: ClaimCatalog;
  /** Upstream identity providers' clients and directories' connection pools (issue 23), one per process. */
  federation: Federation;
  /** Issue 26: the durable delivery queue (webhooks, back-channel logout); started by src/server.ts after listen. */
  deliveries: DeliveryQueue;
  close(): Promise<void>;
}

/** The store and the key ring, which follows key changes made by other processes until close(). */
export async function openServices(config: Config, clock: Clock, logger: Logger): Promise<Services> {
  // A database file readable by others is made private at start: the operator hears of it in the log.
  // Issue 26: every repository call timed, and the audit log's sign-ins counted (src/metrics/instrument-store.ts),
  // when metrics are served: a server nobody scrapes pays nothing for them (issue 27).
  const opened = await openStore(config, { server: true, warn: (message) => logger.warn(message) });
  const store = metricsServed(config) ? instrumentStore(opened) : opened;
  let breachedPasswords: BreachedPasswords | null = null;
  try {
    // Fails closed: a corpus that is missing or not what it should be stops the start, it is never skipped.
    breachedPasswords = config.breachedPasswordsFile ? await BreachedPasswords.open(config.breachedPasswordsFile) : null;
    const keyRing = await KeyRing.open(openKeyStore(config, store), clock, keyPolicy(config).retirementDelayMs);
    const stopFollowing = keyRing.follow((error) => logger.error({ err: error }, 'reloading signing keys failed; still serving the previous keys'));
    // The secret box opens a provider's or a webhook's sealed secret at its first use (in SQLite mode it may create the key file).
    let box: Promise<SecretBox> | undefined;
    const secretBox = () =>
      (box ??= openSecretBox(config).catch((error: unknown) => {
        box = undefined;
        throw error;
      }));
    // Issue 26: the durable delivery queue of webhooks and back-channel logouts (src/delivery/queue.ts), one per
    // process; src/server.ts starts it once the server listens, close() closes it before the store.
    const deliveries = new DeliveryQueue({
      store,
      clock,
      logger,
      config: config.delivery,
      senders: [
        new WebhookSender({ store, clock, secretBox, allowPrivateAddresses: config.allowPrivateClientUrls }),
        new BackchannelSender({
          store,
          clock,
          issuer: config.issuer,
          signingKey: () => keyRing.signingKey,
          logger,
          allowPrivateAddresses: config.allowPrivateClientUrls,
          registrationAllowPrivateAddresses: config.registrationAllowPrivateUrls,
        }),
      ],
    });
    // Ended sessions' logouts go through the queue: first attempts at once, retries the queue's (src/logout/backchannel.ts).
    const backchannel = new BackchannelLogout({ store, clock, queue: deliveries, logger });
    const claimCatalog = claimCatalogOf(store, clock);
    // Loaded before the first request, so that discovery's fast path has its document from the start.
    await claimCatalog.definitions();
    // Issue 26: the management API's own API record, made or corrected for this issuer before any token request.
    await ensureManagementApi(store, config, clock);
    const mailer = openMailer(config, logger);
    const federation = createFederation(config, secretBox, logger);
    return {
      store,
      keyRing,
      sessionEnd: new SessionTerminator(store, clock, backchannel),
      deliveries,
      mailer,
      breachedPasswords,
      claimCatalog,
      federation,
      close: async () => {
        stopFollowing();
        // Pooled directory connections hold sockets: closed before anything they could still use.
        await federation.close();
        await mailer.close();
        // No logout waits any longer for its first attempts; the queue's close() then aborts them.
        await backchannel.close();
        // Attempts in flight are aborted and settled (due again at once, for another node or the next start).
        await deliveries.close();
        await breachedPasswords?.close();
        await store.close();
      },
    };
  } catch (error) {
    await breachedPasswords?.close();
    await store.close();
    throw error;
  }
}
