// `idp export`: everything a Gatehouse store holds, and its signing keys, as JSON lines (transfer-format.ts),
// read from one snapshot while the servers keep running.
import { secretBox, type SecretBox } from '../auth/secret-box.js';
import type { Clock } from '../clock.js';
import { encryptPrivateKey } from '../signing/key-encryption.js';
import type { KeyStore } from '../signing/key-store.js';
import { rsaKeyToPem } from '../signing/rsa-key.js';
import type { Store } from '../store/store.js';
import { TRANSFER_TABLES } from '../store/transfer/tables.js';
import { FORMAT, FORMAT_VERSION, type Header, type KeyLine } from './transfer-format.js';
import { holdsSealedSecrets, resealRow } from './transfer-secrets.js';

export interface TransferDeps {
  store: Store;
  keys: KeyStore;
  /** Encrypts (export) or decrypts (import) the private keys and the sealed secrets inside the file. */
  transferKey: Buffer;
  /**
   * This store's box for secrets at rest (src/auth/secret-box.ts): opens them for an export, seals them on an
   * import. Asked for only when there is a TOTP secret, a recovery code or a provider's secret to move (with SQLite it may create
   * KEYS_DIR/secrets.key).
   */
  secretBox: () => Promise<SecretBox>;
  issuer: string;
  clock: Clock;
}

/** Told how much there is to do, then of each step done: the command-line progress bar. */
export interface Progress {
  start(total: number): void;
  advance(done: number): void;
  stop(): void;
}

export interface TransferSummary {
  signingKeys: number;
  rows: Record<string, number>;
}

/** Rows read per round trip. */
const BATCH = 500;

const CANNOT_OPEN_STORED = "this store's secrets key (KEYS_DIR/secrets.key with SQLite, KEY_ENCRYPTION_KEY with PostgreSQL) is not the one it was sealed with, or the row was altered";

export async function exportData(deps: TransferDeps, writeLine: (line: string) => Promise<void>, progress: Progress): Promise<TransferSummary> {
  const keys = await deps.keys.list();
  return deps.store.transfer.snapshot(async (reader) => {
    const rows: Record<string, number> = {};
    for (const table of TRANSFER_TABLES) rows[table.name] = await reader.count(table);
    const header: Header = {
      format: FORMAT,
      version: FORMAT_VERSION,
      schema_version: await deps.store.transfer.schemaVersion(),
      exported_at: new Date(deps.clock.now()).toISOString(),
      issuer: deps.issuer,
      signing_keys: keys.length,
      rows,
    };
    progress.start(keys.length + Object.values(rows).reduce((sum, n) => sum + n, 0));
    try {
      await writeLine(JSON.stringify(header));
      for (const key of keys) {
        const line: KeyLine = {
          kid: key.kid,
          alg: key.alg,
          private_key: encryptPrivateKey(await rsaKeyToPem(key), key.kid, deps.transferKey),
          created_at: key.createdAt,
          activated_at: key.activatedAt,
          retired_at: key.retiredAt,
          revoked_at: key.revokedAt,
        };
        await writeLine(JSON.stringify({ signing_key: line }));
        progress.advance(1);
      }
      const transferBox = secretBox(deps.transferKey);
      for (const table of TRANSFER_TABLES) {
        let written = 0;
        for await (const batch of reader.rows(table, BATCH)) {
          // Secrets sealed under this store's key leave it sealed under TRANSFER_KEY (transfer-secrets.ts), and
          // keyed recovery codes leave keyed under TRANSFER_KEY.
          const from = holdsSealedSecrets(table.name) && batch.length > 0 ? await deps.secretBox() : null;
          for (const row of batch) {
            const line = from ? resealRow(table.name, row, from, transferBox, CANNOT_OPEN_STORED) : row;
            await writeLine(JSON.stringify({ table: table.name, row: line }));
          }
          written += batch.length;
          progress.advance(batch.length);
        }
        // The snapshot guarantees it; a mismatch would mean a file the import refuses, so fail now instead.
        if (written !== rows[table.name]) throw new Error(`${table.name}: counted ${rows[table.name]} rows but read ${written}`);
      }
    } finally {
      progress.stop();
    }
    return { signingKeys: keys.length, rows };
  });
}
