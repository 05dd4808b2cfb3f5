// Signing keys as files in KEYS_DIR: <kid>.key.pem (PKCS#8, mode 0600) and <kid>.json (the key's times; its state
// follows from them, see key-schedule.ts), and once the key is superseded <kid>.retirement (its retirement, decided
// once: key-retirement.ts). Files written before scheduled rotation carry a `state` instead.
import { randomBytes } from 'node:crypto';
import { watch as watchDirectory, type FSWatcher } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
// zod/mini, as in config.ts: the server never loads the larger `zod` (only the idp tool's manage/ modules do).
import * as z from 'zod/mini';
import { ConflictError, KeyStoreError } from '../errors.js';
import { computeSchedule } from './key-schedule.js';
import type { KeyChange, KeyStore, SigningKey } from './key-store.js';
import { generateRsaKey, rsaKeyFromPem, rsaKeyToPem } from './rsa-key.js';

const isoTime = z.iso.datetime();
const metadataSchema = z.object({
  kid: z.string().check(z.minLength(1)),
  alg: z.literal('RS256'),
  /** Only in files of earlier versions, which have no revokedAt. */
  state: z.optional(z.enum(['active', 'published', 'retired'])),
  createdAt: isoTime,
  activatedAt: z.nullable(isoTime),
  retiredAt: z.nullable(isoTime),
  revokedAt: z.optional(z.nullable(isoTime)),
});
type Metadata = z.infer<typeof metadataSchema>;
type Facts = Pick<SigningKey, 'createdAt' | 'activatedAt' | 'retiredAt' | 'revokedAt'>;

/** A kid is a base64url thumbprint; anything else must never become part of a file name. */
const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const METADATA_SUFFIX = '.json';
const PRIVATE_KEY_SUFFIX = '.key.pem';
const RETIREMENT_SUFFIX = '.retirement';
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const ms = (text: string | null | undefined) => (text === null || text === undefined ? null : Date.parse(text));

/**
 * The facts a metadata file states. An earlier version's file says `state` instead: `active` and `published` keys
 * keep their activation (a published key was superseded by a later one, so the schedule retires it), a `retired`
 * key is retired at its retiredAt, or at once when that is missing.
 */
function factsOf(metadata: Metadata): Facts | null {
  const createdAt = ms(metadata.createdAt) ?? 0;
  const activatedAt = ms(metadata.activatedAt);
  if (metadata.state !== undefined && metadata.revokedAt === undefined) {
    const activation = activatedAt ?? createdAt;
    const retiredAt = metadata.state === 'retired' ? (ms(metadata.retiredAt) ?? activation) : null;
    return { createdAt, activatedAt: activation, retiredAt, revokedAt: null };
  }
  if (activatedAt === null) return null;
  return { createdAt, activatedAt, retiredAt: ms(metadata.retiredAt), revokedAt: ms(metadata.revokedAt) };
}

/** Writes a whole file, flushed, under a temporary name beside `file` (hidden, so never read as a key); returns that name. */
async function writeTemporaryFile(file: string, contents: string, mode: number): Promise<string> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temporary;
}

/** Writes a whole file under a temporary name, then renames it: readers see old or new, never half. */
async function writeFileAtomically(file: string, contents: string, mode: number): Promise<void> {
  await rename(await writeTemporaryFile(file, contents, mode), file);
}

export class FileKeyStore implements KeyStore {
  constructor(
    private readonly dir: string,
    private readonly bits: number,
  ) {}

  async load(now: number): Promise<SigningKey[]> {
    const keys = await this.readAll();
    if (keys.length === 0) return [await this.rotate(now)];
    // Retirement by the schedule needs the token lifetimes; only stored retirements count here.
    if (computeSchedule(keys, now, Infinity).signingKey === null) {
      throw new KeyStoreError(`no signing key in ${this.dir} can sign now (every key is pending, retired or revoked): run \`idp keys rotate --now\``);
    }
    return keys;
  }

  list(): Promise<SigningKey[]> {
    return this.readAll();
  }

  async rotate(now: number, activatesAt: number = now): Promise<SigningKey> {
    const material = await generateRsaKey(this.bits);
    const key: SigningKey = { ...material, alg: 'RS256', createdAt: now, activatedAt: activatesAt, retiredAt: null, revokedAt: null };
    await this.adopt(key);
    return key;
  }

  async rotateUnlessScheduled(now: number, activatesAt: number): Promise<SigningKey | null> {
    // One server per key directory: a check, then the write, is enough here.
    const scheduled = (await this.readAll()).some((key) => key.activatedAt > now && key.revokedAt === null);
    return scheduled ? null : this.rotate(now, activatesAt);
  }

  async adopt(key: SigningKey): Promise<void> {
    if (!KID_PATTERN.test(key.kid)) throw new KeyStoreError(`the kid ${JSON.stringify(key.kid)} cannot name a key file`);
    await this.ensureDirectory();
    const existing = (await this.listFiles()).some((file) => file === key.kid + METADATA_SUFFIX || file === key.kid + PRIVATE_KEY_SUFFIX);
    if (existing) throw new ConflictError(`a signing key with the kid ${key.kid} already exists in ${this.dir}`);
    // A retirement decided for a key of this kid that was since deleted by hand is not this key's.
    await rm(this.retirementFile(key.kid), { force: true });
    // A reader between these two writes is refused (a key with one file); the KeyRing then keeps the keys it has,
    // and the second write triggers its next reload.
    await writeFileAtomically(this.privateKeyFile(key.kid), await rsaKeyToPem(key), 0o600);
    await this.writeMetadata(key);
  }

  async update(kid: string, change: KeyChange): Promise<SigningKey | null> {
    if (!(await this.exists(kid))) return null;
    const key = await this.read(kid);
    const updated: SigningKey = {
      ...key,
      activatedAt: change.activatedAt ?? key.activatedAt,
      revokedAt: change.revokedAt ?? key.revokedAt,
    };
    await this.writeMetadata(updated);
    return updated;
  }

  async decideRetirement(kid: string, retiresAt: number): Promise<SigningKey | null> {
    if (!(await this.exists(kid))) return null;
    const key = await this.read(kid);
    if (key.retiredAt !== null) return key;
    // Never into <kid>.json: `idp keys revoke` rewrites that file (read, change, write), and a write of ours in
    // between would put the key back unrevoked. A file of its own, created once: link() refuses to replace one, so
    // of processes deciding at once (a restart overlapping the old server, the `idp` tool) the first one wins and
    // the others read its decision; the name appears with the whole content, never half of it.
    const file = this.retirementFile(kid);
    const temporary = await writeTemporaryFile(file, `${iso(retiresAt)}\n`, 0o644);
    try {
      await link(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new KeyStoreError(`cannot write ${file}: ${(error as Error).message}`);
    } finally {
      await rm(temporary, { force: true });
    }
    return { ...key, retiredAt: await this.readRetirement(kid) };
  }

  watch(onChange: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher;
    try {
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: persistent only decides whether the watch alone keeps a process alive; the server stops it on shutdown, and only a child process could tell
      watcher = watchDirectory(this.dir, { persistent: false }, () => {
        // A rotation writes several files; react once they are all in place.
        clearTimeout(timer);
        timer = setTimeout(onChange, 100);
        // Stryker disable next-line CallExpression: unref only lets a process exit while a reload is due; only a child process could tell
        timer.unref();
      });
    } catch (error) {
      throw new KeyStoreError(`cannot watch ${this.dir} for key changes: ${(error as Error).message}`);
    }
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }

  /** Every key in the directory, newest first; creates the directory, never a key. */
  private async readAll(): Promise<SigningKey[]> {
    await this.ensureDirectory();
    const kids = new Set<string>();
    for (const file of await this.listFiles()) {
      if (file.endsWith(PRIVATE_KEY_SUFFIX)) kids.add(file.slice(0, -PRIVATE_KEY_SUFFIX.length));
      else if (file.endsWith(METADATA_SUFFIX)) kids.add(file.slice(0, -METADATA_SUFFIX.length));
    }
    const keys = await Promise.all([...kids].map((kid) => this.read(kid)));
    return keys.sort((a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid));
  }

  private async ensureDirectory(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new KeyStoreError(`cannot create the key directory ${this.dir}: ${(error as Error).message}`);
    }
  }

  private async listFiles(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((file) => !file.startsWith('.') && file !== 'README.md');
    } catch (error) {
      throw new KeyStoreError(`cannot read the key directory ${this.dir}: ${(error as Error).message}`);
    }
  }

  /** Whether the directory holds a key of this kid (its metadata or its private key). */
  private async exists(kid: string): Promise<boolean> {
    if (!KID_PATTERN.test(kid)) return false;
    const files = await this.listFiles();
    return files.includes(kid + METADATA_SUFFIX) || files.includes(kid + PRIVATE_KEY_SUFFIX);
  }

  /** The retirement decided for a key (decideRetirement); null while none was. */
  private async readRetirement(kid: string): Promise<number | null> {
    const file = this.retirementFile(kid);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new KeyStoreError(`signing key ${kid}: ${file} cannot be read (${(error as Error).message})`);
    }
    const parsed = isoTime.safeParse(text.trim());
    if (!parsed.success) throw new KeyStoreError(`signing key file ${file} is corrupted: it is not a retirement time`);
    return Date.parse(parsed.data);
  }

  private async writeMetadata(key: SigningKey): Promise<void> {
    const metadata: Metadata = {
      kid: key.kid,
      alg: key.alg,
      // Stryker disable next-line StringLiteral: equivalent; createdAt is always a number, so iso() never gives null here
      createdAt: iso(key.createdAt) ?? '',
      activatedAt: iso(key.activatedAt),
      retiredAt: iso(key.retiredAt),
      revokedAt: iso(key.revokedAt),
    };
    await writeFileAtomically(this.metadataFile(key.kid), JSON.stringify(metadata, null, 2) + '\n', 0o644);
  }

  private async read(kid: string): Promise<SigningKey> {
    const metadataFile = this.metadataFile(kid);
    const privateKeyFile = this.privateKeyFile(kid);
    const metadataText = await this.readKeyFile(metadataFile, kid);
    const pem = await this.readKeyFile(privateKeyFile, kid);
    await this.requirePrivateMode(privateKeyFile);
    let facts: Facts | null = null;
    let metadata: Metadata | undefined;
    try {
      metadata = metadataSchema.parse(JSON.parse(metadataText));
      facts = factsOf(metadata);
    } catch {
      // reported below
    }
    if (!metadata || !facts) throw new KeyStoreError(`signing key file ${metadataFile} is corrupted: it is not valid key metadata`);
    let material;
    try {
      material = await rsaKeyFromPem(pem);
    } catch {
      throw new KeyStoreError(`signing key file ${privateKeyFile} is corrupted: it is not a PKCS#8 RSA private key`);
    }
    if (metadata.kid !== kid) {
      throw new KeyStoreError(`signing key file ${metadataFile} does not match its name: it describes ${metadata.kid}`);
    }
    if (material.kid !== kid) {
      throw new KeyStoreError(`signing key file ${privateKeyFile} does not match its name: its thumbprint is ${material.kid}`);
    }
    // A retirement in the metadata (a hand edit, an import, a file of an earlier version) is the operator's word
    // and wins; otherwise the one decided when the key was superseded, if it was.
    return { ...material, alg: 'RS256', ...facts, retiredAt: facts.retiredAt ?? (await this.readRetirement(kid)) };
  }

  /** Like ssh, refuse a private key other local users can read rather than sign with a possibly leaked key. */
  private async requirePrivateMode(file: string): Promise<void> {
    const mode = (await stat(file)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new KeyStoreError(`signing key file ${file} is accessible to other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it`);
    }
  }

  private async readKeyFile(file: string, kid: string): Promise<string> {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(error as Error).message})`;
      throw new KeyStoreError(`signing key ${kid}: ${file} ${reason}`);
    }
  }

  private metadataFile(kid: string): string {
    return path.join(this.dir, kid + METADATA_SUFFIX);
  }

  private privateKeyFile(kid: string): string {
    return path.join(this.dir, kid + PRIVATE_KEY_SUFFIX);
  }

  private retirementFile(kid: string): string {
    return path.join(this.dir, kid + RETIREMENT_SUFFIX);
  }
}
