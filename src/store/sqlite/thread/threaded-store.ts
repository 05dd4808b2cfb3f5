// The server's Store on SQLite: the same repositories, run on a thread of their own (writer-thread.ts) so that
// no query and no commit's wait for the disk ever blocks the event loop. Each method call becomes one message;
// the answer comes back once the call's writes are durable. The `idp` tool keeps the direct store: a short-lived
// process gains nothing from a thread.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../../../errors.js';
import { packageRoot } from '../../../paths.js';
import type {
  AdminTokenRepository,
  ClientSightingRepository,
  DeliveryRepository,
  WebhookRepository,
  AccessTokenRepository,
  AccountTokenRepository,
  ApiRepository,
  AttributeRepository,
  AuditRepository,
  AuthorizationCodeRepository,
  AuthorizationRequestRepository,
  BrandingRepository,
  ClientAssertionRepository,
  ClientRepository,
  ConsentRepository,
  DeviceCodeRepository,
  FederatedIdentityRepository,
  FederationStateRepository,
  GroupRepository,
  IdentityProviderRepository,
  IssuanceRepository,
  PasskeyRepository,
  PushedRequestRepository,
  RecoveryCodeRepository,
  RefreshTokenRepository,
  RegistrationTokenRepository,
  SessionRepository,
  SignInChallengeRepository,
  SigningKeyRepository,
  Store,
  ThrottleRepository,
  TotpRepository,
  TransferRepository,
  UsedJtiRepository,
  UserRepository,
} from '../../store.js';
import { withBuffers } from '../../rows/branding.js';
import { openSqliteDatabase, secureDatabaseFiles } from '../database.js';
import { SqliteStore } from '../sqlite-store.js';
import type { CommitCounts } from './group-commit.js';
import { deserializeError, type ReadyMessage, type StoreCall, type StoreReply, type ThreadedRepository, type ThreadOptions } from './protocol.js';

/** The thread's entry, bundled by `npm run build` (scripts/bundle.mjs) like the server: it starts faster and smaller. */
const THREAD_ENTRY = path.join(packageRoot, 'dist/sqlite-writer.mjs');

type Side = 'read' | 'write';

/**
 * Every method of every repository (the compiler tells us when the interface grows one) and where it runs. Writes
 * go to the thread, which answers once they are durable. Reads run at once on a connection of our own: in WAL
 * mode it sees every commit the thread has answered for, so a caller reads its own writes, and a read costs
 * microseconds instead of a round trip to the thread.
 */
const METHODS: { [R in ThreadedRepository]: Record<keyof Store[R], Side> } = {
  users: { create: 'write', findById: 'read', findByEmail: 'read', list: 'read', count: 'read', update: 'write', delete: 'write' },
  clients: { create: 'write', findById: 'read', list: 'read', count: 'read', update: 'write', delete: 'write', rotateRegistrationToken: 'write' },
  groups: {
    create: 'write',
    findById: 'read',
    findByName: 'read',
    list: 'read',
    count: 'read',
    update: 'write',
    delete: 'write',
    addMember: 'write',
    removeMember: 'write',
    countMembers: 'read',
    groupsOf: 'read',
    usesOf: 'read',
  },
  attributes: { define: 'write', list: 'read', find: 'read', update: 'write', remove: 'write', setValue: 'write', valuesOf: 'read' },
  apis: {
    create: 'write',
    findById: 'read',
    findByIdentifier: 'read',
    list: 'read',
    count: 'read',
    update: 'write',
    delete: 'write',
    usesOf: 'read',
    accessOf: 'read',
    setGrants: 'write',
  },
  // A poll reads the previous state and writes the next in one transaction: the whole call runs on the thread.
  deviceCodes: {
    create: 'write',
    find: 'read',
    findPending: 'read',
    poll: 'write',
    approve: 'write',
    deny: 'write',
    consume: 'write',
    deleteForUser: 'write',
    deleteExpired: 'write',
  },
  clientAssertions: { use: 'write', deleteExpired: 'write' },
  // Issue 28: consuming a request_uri and using a jti are each one conditional write: they run on the thread.
  pushedRequests: { create: 'write', consume: 'write', deleteExpired: 'write' },
  usedJtis: { use: 'write', deleteExpired: 'write' },
  identityProviders: { create: 'write', findBySlug: 'read', list: 'read', update: 'write', delete: 'write', linkCounts: 'read' },
  federatedIdentities: { link: 'write', find: 'read', findForUser: 'read', listForUser: 'read', touch: 'write', unlink: 'write' },
  // Consuming a state is one conditional UPDATE: it runs on the thread like every single-use write.
  federationStates: { create: 'write', consume: 'write', findLiveLink: 'read', deleteExpired: 'write' },
  // A grant is one upsert computing the union with the stored row: it runs on the thread, where writes take turns.
  consents: { find: 'read', grant: 'write', touch: 'write', listForUser: 'read', revoke: 'write' },
  // A use is one conditional UPDATE: it runs on the thread like every single-use write.
  registrationTokens: { create: 'write', findUsable: 'read', use: 'write', list: 'read', delete: 'write', deleteExpired: 'write' },
  // A save is one conditional write (compare-and-set on the version): it runs on the thread, where writes take turns.
  branding: { get: 'read', version: 'read', save: 'write' },
  signingKeys: { insert: 'write', insertUnlessScheduled: 'write', list: 'read', update: 'write' },
  sessions: {
    create: 'write',
    findLive: 'read',
    touch: 'write',
    listForUser: 'read',
    findLiveBySid: 'read',
    countLive: 'read',
    reauthenticate: 'write',
    delete: 'write',
    deleteForUser: 'write',
    addClient: 'write',
    clientsOf: 'read',
    deleteExpired: 'write',
    takeExpired: 'write',
  },
  codes: {
    create: 'write',
    consume: 'write',
    find: 'read',
    revokeForUser: 'write',
    revokeForSession: 'write',
    revokeForUserClient: 'write',
    markReplayed: 'write',
    deleteExpired: 'write',
  },
  refreshTokens: {
    create: 'write',
    find: 'read',
    rotate: 'write',
    revokeGrant: 'write',
    revokeForUser: 'write',
    revokeForSession: 'write',
    grantsSignedBy: 'read',
    clientsOfUser: 'read',
    revokeForUserClient: 'write',
  },
  authorizationRequests: { create: 'write', findLive: 'read', consume: 'write', deleteExpired: 'write' },
  accessTokens: {
    create: 'write',
    findLive: 'read',
    revokeGrant: 'write',
    revokeForUser: 'write',
    revoke: 'write',
    revokeForSession: 'write',
    revokeForUserClient: 'write',
    grantsSignedBy: 'read',
    deleteExpired: 'write',
  },
  audit: { append: 'write', list: 'read', count: 'read', chain: 'read', head: 'read', findById: 'read' },
  adminTokens: { create: 'write', findLive: 'read', findById: 'read', list: 'read', revoke: 'write', revokeForUser: 'write', touch: 'write', deleteEnded: 'write' },
  webhooks: { create: 'write', findById: 'read', list: 'read', update: 'write', delete: 'write' },
  deliveries: {
    enqueue: 'write',
    claimDue: 'write',
    settle: 'write',
    redeliver: 'write',
    findById: 'read',
    listForWebhook: 'read',
    listForClient: 'read',
    counts: 'read',
    deleteSettledBefore: 'write',
  },
  clientSightings: { saw: 'write', jwksFetched: 'write', summary: 'read', deleteBefore: 'write' },
  // An attempt reads and writes its counter in one transaction: the whole call runs on the thread.
  throttle: { attempt: 'write', peek: 'read', refund: 'write', clear: 'write', deleteExpired: 'write' },
  accountTokens: { create: 'write', findLive: 'read', consume: 'write', revokeForUser: 'write', deleteExpired: 'write' },
  totp: { begin: 'write', find: 'read', confirm: 'write', useStep: 'write', remove: 'write' },
  recoveryCodes: { replace: 'write', consume: 'write', countUnused: 'read', removeAll: 'write' },
  passkeys: {
    create: 'write',
    findById: 'read',
    listForUser: 'read',
    recordUse: 'write',
    rename: 'write',
    remove: 'write',
    removeAllForUser: 'write',
  },
  signInChallenges: { create: 'write', findLive: 'read', consume: 'write', deleteForUser: 'write', deleteExpired: 'write' },
  issuance: { record: 'write' },
};

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ThreadedSqliteStore implements Store {
  readonly users: UserRepository;
  readonly clients: ClientRepository;
  readonly groups: GroupRepository;
  readonly attributes: AttributeRepository;
  readonly apis: ApiRepository;
  readonly deviceCodes: DeviceCodeRepository;
  readonly clientAssertions: ClientAssertionRepository;
  readonly pushedRequests: PushedRequestRepository;
  readonly usedJtis: UsedJtiRepository;
  readonly identityProviders: IdentityProviderRepository;
  readonly federatedIdentities: FederatedIdentityRepository;
  readonly federationStates: FederationStateRepository;
  readonly consents: ConsentRepository;
  readonly registrationTokens: RegistrationTokenRepository;
  readonly branding: BrandingRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly sessions: SessionRepository;
  readonly codes: AuthorizationCodeRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly authorizationRequests: AuthorizationRequestRepository;
  readonly accessTokens: AccessTokenRepository;
  readonly audit: AuditRepository;
  readonly throttle: ThrottleRepository;
  readonly accountTokens: AccountTokenRepository;
  readonly totp: TotpRepository;
  readonly recoveryCodes: RecoveryCodeRepository;
  readonly passkeys: PasskeyRepository;
  readonly signInChallenges: SignInChallengeRepository;
  readonly issuance: IssuanceRepository;
  readonly adminTokens: AdminTokenRepository;
  readonly webhooks: WebhookRepository;
  readonly deliveries: DeliveryRepository;
  readonly clientSightings: ClientSightingRepository;
  private readonly pending = new Map<number, Pending>();
  private readonly outbox: StoreCall[] = [];
  private nextId = 1;
  /** Set once the thread is gone or closing: every later call fails at once (fail closed). */
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly local: SqliteStore,
  ) {
    this.users = this.repository('users');
    this.clients = this.repository('clients');
    this.groups = this.repository('groups');
    this.attributes = this.repository('attributes');
    this.apis = this.repository('apis');
    this.deviceCodes = this.repository('deviceCodes');
    this.clientAssertions = this.repository('clientAssertions');
    this.pushedRequests = this.repository('pushedRequests');
    this.usedJtis = this.repository('usedJtis');
    this.identityProviders = this.repository('identityProviders');
    this.federatedIdentities = this.repository('federatedIdentities');
    this.federationStates = this.repository('federationStates');
    this.consents = this.repository('consents');
    this.registrationTokens = this.repository('registrationTokens');
    const branding = this.repository('branding');
    // The saved row comes back from the thread by structured clone, its images' Buffers as plain Uint8Arrays.
    this.branding = { ...branding, save: async (...args) => withBuffers(await branding.save(...args)) };
    this.signingKeys = this.repository('signingKeys');
    this.sessions = this.repository('sessions');
    this.codes = this.repository('codes');
    this.refreshTokens = this.repository('refreshTokens');
    this.authorizationRequests = this.repository('authorizationRequests');
    this.accessTokens = this.repository('accessTokens');
    this.audit = this.repository('audit');
    this.throttle = this.repository('throttle');
    this.accountTokens = this.repository('accountTokens');
    this.totp = this.repository('totp');
    this.recoveryCodes = this.repository('recoveryCodes');
    this.passkeys = this.repository('passkeys');
    this.signInChallenges = this.repository('signInChallenges');
    this.issuance = this.repository('issuance');
    this.adminTokens = this.repository('adminTokens');
    this.webhooks = this.repository('webhooks');
    this.deliveries = this.repository('deliveries');
    this.clientSightings = this.repository('clientSightings');
    worker.on('message', (replies: StoreReply[]) => this.settle(replies));
    worker.on('error', (error) => this.fail(new StoreUnavailableError(`the SQLite thread failed: ${error.message}`)));
    worker.on('exit', () => this.fail(new StoreUnavailableError('the SQLite thread has stopped')));
  }

  /**
   * `warn` hears of a database file whose mode had to be tightened: the files are made private here, on the
   * caller's thread, before the thread opens them, so that the warning reaches the caller (a function cannot
   * cross to the thread).
   */
  static async open(options: ThreadOptions, { warn }: { warn?: (message: string) => void } = {}): Promise<ThreadedSqliteStore> {
    try {
      secureDatabaseFiles(options.file, warn);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      throw new StoreUnavailableError(`cannot open the SQLite database ${options.file}: ${(error as Error).message}`);
    }
    const worker = new Worker(THREAD_ENTRY, { workerData: options });
    let ready: ReadyMessage;
    let stopListening = () => {};
    try {
      ready = await new Promise<ReadyMessage>((resolve, reject) => {
        const exited = (code: number) => reject(new Error(`it exited with ${code}`));
        worker.once('message', resolve).once('error', reject).once('exit', exited);
        // Only our own listeners: the Worker keeps internal ones that deliver its messages.
        stopListening = () => worker.off('message', resolve).off('error', reject).off('exit', exited);
      });
    } catch (error) {
      await worker.terminate();
      throw new StoreUnavailableError(`the SQLite thread did not start: ${(error as Error).message}`);
    } finally {
      stopListening();
    }
    if (!ready.ready) {
      await worker.terminate();
      throw deserializeError(ready.error);
    }
    // Opened after the thread has migrated the database, so its statements see the current schema.
    let local: SqliteStore;
    try {
      local = new SqliteStore(openSqliteDatabase(options.file, { synchronous: options.synchronous, warn }));
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return new ThreadedSqliteStore(worker, local);
  }

  /** Export and import take callbacks, which cannot cross to the thread: they run on the local connection. */
  get transfer(): TransferRepository {
    return this.local.transfer;
  }

  async ping(): Promise<void> {
    await this.local.ping();
    await this.call('$store', 'ping', []);
  }

  /** How many transactions the thread has committed for how many calls: the group commit at work. */
  async commitCounts(): Promise<CommitCounts> {
    return (await this.call('$store', 'counts', [])) as CommitCounts;
  }

  async close(): Promise<void> {
    await this.local.close();
    if (this.failure) return;
    // Everything sent before is answered first; then the thread closes the database and ends.
    const closed = this.call('$store', 'close', []);
    this.failure = new StoreUnavailableError('the store is closed');
    await closed;
    await this.worker.terminate();
  }

  private repository<R extends ThreadedRepository>(repository: R): Store[R] {
    const local = this.local[repository] as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
    const methods = Object.entries<Side>(METHODS[repository]);
    const readLocally = (method: string) => {
      const own = local[method];
      if (own === undefined) throw new Error(`the SQLite store has no ${repository}.${method}`);
      return own.bind(local);
    };
    // Every method of Store[R], one by one: METHODS names them all (the compiler checks its keys against Store[R]).
    return Object.fromEntries(
      methods.map(([method, side]) => [method, side === 'read' ? readLocally(method) : (...args: unknown[]) => this.call(repository, method, args)]),
    ) as unknown as Store[R];
  }

  private call(repository: StoreCall['repository'], method: string, args: unknown[]): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.outbox.push({ id, repository, method, args });
      if (this.outbox.length === 1) setImmediate(this.send);
    });
  }

  /**
   * The calls of one turn of the event loop go as one message: each message wakes the thread, and on two cores
   * a wake-up often costs the event loop its core, so fewer wake-ups leave more time for requests.
   */
  private readonly send = (): void => {
    const calls = this.outbox.splice(0);
    // After a failure the calls are already rejected; posting to a stopped thread does nothing.
    if (calls.length > 0) this.worker.postMessage(calls);
  };

  private settle(replies: StoreReply[]): void {
    for (const reply of replies) {
      const waiting = this.pending.get(reply.id);
      if (!waiting) continue;
      this.pending.delete(reply.id);
      if ('error' in reply) waiting.reject(deserializeError(reply.error));
      else waiting.resolve(reply.value);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
