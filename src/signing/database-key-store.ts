// Signing keys in the store (PostgreSQL mode), shared by every node: the private key encrypted under
// KEY_ENCRYPTION_KEY. Nodes learn of a rotation or revocation made elsewhere by polling every
// KEY_REFRESH_INTERVAL (at most 30 s), which KEY_PREPUBLISH (at least 60 s more than the JWKS cache) exceeds.
import { createHash } from 'node:crypto';
import { KeyStoreError } from '../errors.js';
import type { SigningKeyRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { decryptPrivateKey, encryptPrivateKey } from './key-encryption.js';
import { computeSchedule } from './key-schedule.js';
import type { KeyChange, KeyStore, SigningKey } from './key-store.js';
import { generateRsaKey, rsaKeyFromPem, rsaKeyToPem } from './rsa-key.js';

/** How far before its creation the first key of a database counts as published and signing: clock skew between nodes. */
export const FIRST_KEY_BACKDATE_MS = 60_000;

export class DatabaseKeyStore implements KeyStore {
  /** Decrypted keys by kid: the ciphertext of a kid never changes, so each is decrypted once per process. */
  private readonly material = new Map<string, Promise<Pick<SigningKey, 'publicJwk' | 'privateKey'>>>();

  constructor(
    private readonly store: Store,
    private readonly kek: Buffer,
    private readonly bits: number,
    private readonly pollMs: number,
  ) {}

  async load(now: number): Promise<SigningKey[]> {
    let keys = await this.list();
    // Nodes starting together on an empty database agree on one first key: any other would be published by its
    // own node alone, until the next poll, while tokens it signed reached relying parties. It counts from a
    // little before now, so that a node whose `now` was read before the winner's (it waited for the lock), or
    // whose clock lags, finds it already signing rather than pending with nothing else to sign.
    if (keys.length === 0) {
      const since = now - FIRST_KEY_BACKDATE_MS;
      await this.store.signingKeys.insertUnlessScheduled(await this.newRecord(since, since), Number.MIN_SAFE_INTEGER);
      keys = await this.list();
    }
    if (computeSchedule(keys, now, Infinity).signingKey === null) {
      throw new KeyStoreError('no signing key in the database can sign now (every key is pending, retired or revoked): run `idp keys rotate --now`');
    }
    return keys;
  }

  async list(): Promise<SigningKey[]> {
    return Promise.all((await this.store.signingKeys.list()).map((record) => this.fromRecord(record)));
  }

  async rotate(now: number, activatesAt: number = now): Promise<SigningKey> {
    const record = await this.newRecord(now, activatesAt);
    await this.store.signingKeys.insert(record);
    return this.fromRecord(record);
  }

  async rotateUnlessScheduled(now: number, activatesAt: number): Promise<SigningKey | null> {
    const record = await this.newRecord(now, activatesAt);
    return (await this.store.signingKeys.insertUnlessScheduled(record, now)) ? this.fromRecord(record) : null;
  }

  async adopt(key: SigningKey): Promise<void> {
    await this.store.signingKeys.insert(await this.toRecord(key));
  }

  private async newRecord(now: number, activatesAt: number): Promise<SigningKeyRecord> {
    const material = await generateRsaKey(this.bits);
    return this.toRecord({ ...material, alg: 'RS256', createdAt: now, activatedAt: activatesAt, retiredAt: null, revokedAt: null });
  }

  private async toRecord(key: SigningKey): Promise<SigningKeyRecord> {
    return {
      kid: key.kid,
      alg: key.alg,
      publicJwk: JSON.stringify(key.publicJwk),
      privateKeyCiphertext: encryptPrivateKey(await rsaKeyToPem(key), key.kid, this.kek),
      createdAt: key.createdAt,
      activatedAt: key.activatedAt,
      retiredAt: key.retiredAt,
      revokedAt: key.revokedAt,
    };
  }

  async update(kid: string, change: KeyChange): Promise<SigningKey | null> {
    const record = await this.store.signingKeys.update(kid, change);
    return record ? this.fromRecord(record) : null;
  }

  async decideRetirement(kid: string, retiresAt: number): Promise<SigningKey | null> {
    // The repository stores a retirement only while the row has none, in one statement: of nodes deciding at
    // once the first wins, and every one gets the stored value back.
    const record = await this.store.signingKeys.update(kid, { retiredAt: retiresAt });
    return record ? this.fromRecord(record) : null;
  }

  watch(onChange: () => void): () => void {
    let last: string | null = null;
    let running = false;
    const check = async () => {
      if (running) return;
      running = true;
      try {
        const facts = (await this.store.signingKeys.list()).map((r) => [r.kid, r.createdAt, r.activatedAt, r.retiredAt, r.revokedAt]);
        const fingerprint = createHash('sha256').update(JSON.stringify(facts)).digest('base64url');
        if (last !== null && fingerprint !== last) onChange();
        last = fingerprint;
      } catch {
        // The store is unreachable for now: the key ring keeps serving what it has; the next poll retries.
      } finally {
        running = false;
      }
    };
    void check();
    const timer = setInterval(() => void check(), this.pollMs);
    // Stryker disable next-line CallExpression: unref only lets a process exit while polling; the server stops the poll on shutdown, and only a child process could tell
    timer.unref();
    return () => clearInterval(timer);
  }

  private async fromRecord(record: SigningKeyRecord): Promise<SigningKey> {
    let material = this.material.get(record.kid);
    if (!material) {
      material = rsaKeyFromPem(decryptPrivateKey(record.privateKeyCiphertext, record.kid, this.kek)).then((key) => {
        if (key.kid !== record.kid) throw new KeyStoreError(`signing key ${record.kid} does not match its stored private key (thumbprint ${key.kid})`);
        return { publicJwk: key.publicJwk, privateKey: key.privateKey };
      });
      material.catch(() => this.material.delete(record.kid));
      this.material.set(record.kid, material);
    }
    const { publicJwk, privateKey } = await material;
    return {
      kid: record.kid,
      alg: record.alg,
      publicJwk,
      privateKey,
      createdAt: record.createdAt,
      activatedAt: record.activatedAt,
      retiredAt: record.retiredAt,
      revokedAt: record.revokedAt,
    };
  }
}
