// `idp import`: reads an `idp export` file into an empty store. Everything is checked before anything is kept:
// the header, the schema version, every signing key (decrypted and matched to its kid before a row is
// written), every row's table and columns, and the counts the header promised. The rows go in one
// transaction; the keys are stored after it commits, into an empty key store. TOTP secrets and identity providers'
// secrets are opened with TRANSFER_KEY and sealed under this store's secrets key as their rows go in
// (transfer-secrets.ts): one that does not open fails the whole import. Keyed recovery codes are moved to this
// store's key likewise, so they go on working whatever secrets key the target has.
import { secretBox, type SecretBox } from '../auth/secret-box.js';
import { ConflictError, KeyStoreError, ValidationError } from '../errors.js';
import { decryptPrivateKey } from '../signing/key-encryption.js';
import type { SigningKey } from '../signing/key-store.js';
import { rsaKeyFromPem } from '../signing/rsa-key.js';
import type { TransferBatch } from '../store/store.js';
import { TRANSFER_TABLES, transferTable, type TransferRow, type TransferTable } from '../store/transfer/tables.js';
import type { Progress, TransferDeps, TransferSummary } from './export.js';
import { headerSchema, keyLineSchema, rowLineSchema, type Header, type KeyLine } from './transfer-format.js';
import { holdsSealedSecrets, resealRow } from './transfer-secrets.js';
import { canonicalArgon2 } from '../auth/phc.js';

const BATCH = 500;

const CANNOT_OPEN_EXPORTED = 'TRANSFER_KEY is not the key the export was made with, or the file was altered';

export interface ImportResult extends TransferSummary {
  /** The issuer the data was exported from, when it is not this one's: relying parties see a new `iss`. */
  otherIssuer: string | null;
}

/** The file's lines, numbered, for messages that point at the offending line. */
class Lines {
  private number = 0;
  // What the source returns at its end is never read: `unknown`, not the default `any`.
  constructor(private readonly source: AsyncIterator<string, unknown>) {}

  get lineNumber(): number {
    return this.number;
  }

  /** The next non-empty line parsed as JSON; null at the end. */
  async next(): Promise<unknown> {
    for (;;) {
      const next = await this.source.next();
      if (next.done) return null;
      const value = next.value;
      this.number++;
      if (value.trim() === '') continue;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        throw this.error('is not JSON');
      }
    }
  }

  error(problem: string): ValidationError {
    return new ValidationError('input', `line ${this.number} of the export ${problem}`);
  }
}

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const [issue] = error.issues;
  return issue ? `${issue.path.map(String).join('.') || 'the line'}: ${issue.message}` : 'is malformed';
}

async function readHeader(lines: Lines): Promise<Header> {
  const parsed = headerSchema.safeParse(await lines.next());
  if (!parsed.success) throw new ValidationError('input', `the input is not a Gatehouse export (${describeIssues(parsed.error)} in its first line)`);
  return parsed.data;
}

async function readKey(lines: Lines, transferKey: Buffer): Promise<SigningKey> {
  const parsed = keyLineSchema.safeParse(await lines.next());
  if (!parsed.success) throw lines.error(`should be a signing key (${describeIssues(parsed.error)})`);
  const line: KeyLine = parsed.data.signing_key;
  let pem: string;
  try {
    pem = decryptPrivateKey(line.private_key, line.kid, transferKey);
  } catch (error) {
    if (!(error instanceof KeyStoreError)) throw error;
    throw new KeyStoreError(`signing key ${line.kid} in the export cannot be decrypted: TRANSFER_KEY is not the key the export was made with, or the file was altered`);
  }
  const material = await rsaKeyFromPem(pem);
  if (material.kid !== line.kid) throw lines.error(`holds a private key whose thumbprint is not its kid ${line.kid}`);
  return { ...material, alg: line.alg, createdAt: line.created_at, activatedAt: line.activated_at, retiredAt: line.retired_at, revokedAt: line.revoked_at };
}

function checkRow(lines: Lines, table: TransferTable, row: Record<string, unknown>): TransferRow {
  const expected = Object.keys(table.columns);
  const extra = Object.keys(row).filter((column) => !(column in table.columns));
  const missing = expected.filter((column) => !(column in row));
  if (extra.length > 0 || missing.length > 0) {
    throw lines.error(`does not have the columns of ${table.name} (${[...missing.map((c) => `missing ${c}`), ...extra.map((c) => `unknown ${c}`)].join(', ')})`);
  }
  for (const [column, kind] of Object.entries(table.columns)) {
    const value = row[column];
    const ok = value === null || (kind === 'text' ? typeof value === 'string' : kind === 'bool' ? typeof value === 'boolean' : typeof value === 'number');
    if (!ok) throw lines.error(`has a ${typeof value} in ${table.name}.${column}, which holds ${kind === 'int' ? 'whole numbers' : kind === 'bool' ? 'true or false' : 'text'}`);
  }
  return row as TransferRow;
}

/** Every row line, checked and batched, in table order; ends by comparing what came with the header's counts. */
async function* rowBatches(lines: Lines, header: Header, deps: TransferDeps, progress: Progress): AsyncGenerator<TransferBatch> {
  // Opened at the first sealed secret: an export without any needs no secrets key here.
  let boxes: { from: SecretBox; to: SecretBox } | undefined;
  const seen = new Map<string, number>(TRANSFER_TABLES.map((table) => [table.name, 0]));
  let position = 0;
  let batch: TransferBatch | null = null;
  for (let line = await lines.next(); line !== null; line = await lines.next()) {
    const parsed = rowLineSchema.safeParse(line);
    if (!parsed.success) throw lines.error(`should be a row (${describeIssues(parsed.error)})`);
    const table = transferTable(parsed.data.table);
    if (!table) throw lines.error(`names no table Gatehouse exports (${JSON.stringify(parsed.data.table)})`);
    const index = TRANSFER_TABLES.indexOf(table);
    // Tables come in foreign-key order, so a row never arrives before what it refers to.
    if (index < position) throw lines.error(`has a row of ${table.name} after rows of ${TRANSFER_TABLES[position]?.name}`);
    position = index;
    let row = checkRow(lines, table, parsed.data.row);
    // Password hashes go in in the canonical PHC order that other argon2 implementations read (src/auth/phc.ts).
    if (table.name === 'users' && typeof row.password_hash === 'string') row = { ...row, password_hash: canonicalArgon2(row.password_hash) };
    if (holdsSealedSecrets(table.name)) {
      boxes ??= { from: secretBox(deps.transferKey), to: await deps.secretBox() };
      row = resealRow(table.name, row, boxes.from, boxes.to, CANNOT_OPEN_EXPORTED);
    }
    seen.set(table.name, (seen.get(table.name) ?? 0) + 1);
    if (batch && batch.table !== table) {
      yield batch;
      progress.advance(batch.rows.length);
      batch = null;
    }
    batch ??= { table, rows: [] };
    batch.rows.push(row);
    if (batch.rows.length >= BATCH) {
      yield batch;
      progress.advance(batch.rows.length);
      batch = null;
    }
  }
  if (batch) {
    yield batch;
    progress.advance(batch.rows.length);
  }
  for (const table of TRANSFER_TABLES) {
    const promised = header.rows[table.name] ?? 0;
    if (seen.get(table.name) !== promised) {
      throw new ValidationError('input', `the export is incomplete or altered: its header promises ${promised} ${table.name} rows, it holds ${seen.get(table.name)}`);
    }
  }
}

export async function importData(deps: TransferDeps, source: AsyncIterator<string>, progress: Progress): Promise<ImportResult> {
  const lines = new Lines(source);
  const header = await readHeader(lines);
  const schemaVersion = await deps.store.transfer.schemaVersion();
  if (header.schema_version !== schemaVersion) {
    throw new ValidationError(
      'input',
      `the export was made at schema version ${header.schema_version} and this Gatehouse is at ${schemaVersion}: import it with the same Gatehouse version that exported it`,
    );
  }
  const tables = TRANSFER_TABLES.map((table) => table.name);
  if (JSON.stringify(Object.keys(header.rows).sort()) !== JSON.stringify([...tables].sort())) {
    throw new ValidationError('input', `the export's header does not list the tables of schema version ${schemaVersion} (${tables.join(', ')})`);
  }
  const existing = await deps.keys.list();
  if (existing.length > 0) {
    throw new ConflictError(`the target already has ${existing.length} signing key(s): import only into a new database and key store, before any node serves it`);
  }
  const keys: SigningKey[] = [];
  for (let i = 0; i < header.signing_keys; i++) keys.push(await readKey(lines, deps.transferKey));

  progress.start(header.signing_keys + Object.values(header.rows).reduce((sum, n) => sum + n, 0));
  try {
    await deps.store.transfer.load(rowBatches(lines, header, deps, progress));
    for (const key of keys) {
      await deps.keys.adopt(key);
      progress.advance(1);
    }
  } finally {
    progress.stop();
  }
  return { signingKeys: keys.length, rows: header.rows, otherIssuer: header.issuer === deps.issuer ? null : header.issuer };
}
