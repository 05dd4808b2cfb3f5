// Signing keys as files in KEYS_DIR: <kid>.key.pem (PKCS#8, mode 0600) and <kid>.json (state and times).
import { randomBytes } from 'node:crypto';
import { watch as watchDirectory, type FSWatcher } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { KeyStoreError } from '../errors.js';
import type { KeyStore, SigningKey } from './key-store.js';
import { generateRsaKey, rsaKeyFromPem, rsaKeyToPem } from './rsa-key.js';

const metadataSchema = z.object({
  kid: z.string().min(1),
  alg: z.literal('RS256'),
  state: z.enum(['active', 'published', 'retired']),
  createdAt: z.iso.datetime(),
  activatedAt: z.iso.datetime().nullable(),
  retiredAt: z.iso.datetime().nullable(),
});
type Metadata = z.infer<typeof metadataSchema>;

const METADATA_SUFFIX = '.json';
const PRIVATE_KEY_SUFFIX = '.key.pem';
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const ms = (text: string | null) => (text === null ? null : Date.parse(text));

/** Writes a whole file under a temporary name, flushes it, then renames it: readers see old or new, never half. */
async function writeFileAtomically(file: string, contents: string, mode: number): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

export class FileKeyStore implements KeyStore {
  constructor(private readonly dir: string, private readonly bits: number) {}

  async load(now: number): Promise<SigningKey[]> {
    const keys = await this.readAll();
    if (keys.length === 0) return [await this.create(now)];
    if (!keys.some((key) => key.state === 'active')) {
      throw new KeyStoreError(`no active signing key in ${this.dir}: mark one key "active" in its .json file or run \`idp keys rotate\``);
    }
    return keys;
  }

  async rotate(now: number): Promise<SigningKey> {
    const previous = (await this.readAll()).filter((key) => key.state === 'active');
    // The new key is written before the old one is demoted: a crash in between leaves two active keys
    // (the newest signs), never none.
    const created = await this.create(now);
    for (const key of previous) await this.writeMetadata({ ...key, state: 'published' });
    return created;
  }

  watch(onChange: () => void): () => void {
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher;
    try {
      watcher = watchDirectory(this.dir, { persistent: false }, () => {
        // A rotation writes several files; react once they are all in place.
        clearTimeout(timer);
        timer = setTimeout(onChange, 100);
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
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new KeyStoreError(`cannot create the key directory ${this.dir}: ${(error as Error).message}`);
    }
    const kids = new Set<string>();
    for (const file of await this.listFiles()) {
      if (file.endsWith(PRIVATE_KEY_SUFFIX)) kids.add(file.slice(0, -PRIVATE_KEY_SUFFIX.length));
      else if (file.endsWith(METADATA_SUFFIX)) kids.add(file.slice(0, -METADATA_SUFFIX.length));
    }
    const keys = await Promise.all([...kids].map((kid) => this.read(kid)));
    return keys.sort((a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid));
  }

  private async listFiles(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((file) => !file.startsWith('.') && file !== 'README.md');
    } catch (error) {
      throw new KeyStoreError(`cannot read the key directory ${this.dir}: ${(error as Error).message}`);
    }
  }

  private async create(now: number): Promise<SigningKey> {
    const material = await generateRsaKey(this.bits);
    const key: SigningKey = { ...material, alg: 'RS256', state: 'active', createdAt: now, activatedAt: now, retiredAt: null };
    await writeFileAtomically(this.privateKeyFile(key.kid), await rsaKeyToPem(material), 0o600);
    await this.writeMetadata(key);
    return key;
  }

  private async writeMetadata(key: SigningKey): Promise<void> {
    const metadata: Metadata = {
      kid: key.kid,
      alg: key.alg,
      state: key.state,
      createdAt: iso(key.createdAt) ?? '',
      activatedAt: iso(key.activatedAt),
      retiredAt: iso(key.retiredAt),
    };
    await writeFileAtomically(this.metadataFile(key.kid), JSON.stringify(metadata, null, 2) + '\n', 0o644);
  }

  private async read(kid: string): Promise<SigningKey> {
    const metadataFile = this.metadataFile(kid);
    const privateKeyFile = this.privateKeyFile(kid);
    const metadataText = await this.readKeyFile(metadataFile, kid);
    const pem = await this.readKeyFile(privateKeyFile, kid);
    await this.requirePrivateMode(privateKeyFile);
    let metadata: Metadata;
    try {
      metadata = metadataSchema.parse(JSON.parse(metadataText));
    } catch {
      throw new KeyStoreError(`signing key file ${metadataFile} is corrupted: it is not valid key metadata`);
    }
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
    return {
      ...material,
      alg: 'RS256',
      state: metadata.state,
      createdAt: ms(metadata.createdAt) ?? 0,
      activatedAt: ms(metadata.activatedAt),
      retiredAt: ms(metadata.retiredAt),
    };
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
}
