// The directories (LDAP providers) of one process (issue 23): one LdapDirectory, with its connection pool, per
// provider row, kept while the row is unchanged (`slug` and `updatedAt`): an edited row (new URL, CA or service
// password) gets a fresh directory and the old one's connections are closed.
import type { SecretBox } from '../auth/secret-box.js';
import { DirectoryUnavailable, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { IdentityProviderRecord } from '../store/records.js';
import type { Directories, Directory } from './federation.js';
import { LdapDirectory } from './ldap.js';
import { providerSecretAad, settingsOf } from './provider-settings.js';

export interface DirectoriesOptions {
  /** FEDERATION_TIMEOUT_MS: each directory check, queueing for a connection included. */
  timeoutMs: number;
  secretBox: () => Promise<SecretBox>;
  /** Where a misconfigured directory (two entries for one email) is reported; nothing when absent. */
  logger?: Pick<Logger, 'warn'>;
  /** Connections per directory at most (default 4). */
  maxConnections?: number;
  /** An idle connection closes after this long (default 30 s). */
  idleMs?: number;
}

export function createDirectories(options: DirectoriesOptions): Directories & { directoryFor(provider: IdentityProviderRecord): Promise<LdapDirectory> } {
  /** slug → the directory of the row version `key` (`<slug>:<updatedAt>`). */
  const cache = new Map<string, { key: string; directory: Promise<LdapDirectory> }>();

  async function build(provider: IdentityProviderRecord): Promise<LdapDirectory> {
    if (provider.kind !== 'ldap') throw new ValidationError('kind', `The provider ${provider.slug} is not a directory (kind ${provider.kind}).`);
    const settings = settingsOf({ ...provider, kind: 'ldap' });
    if (provider.secret === null) {
      throw new DirectoryUnavailable(`The directory ${provider.name} is not answering. Try again later.`, `ldap provider ${provider.slug}: no service account password is stored`);
    }
    const box = await options.secretBox();
    const bindPassword = box.open(provider.secret, providerSecretAad(provider.slug));
    return new LdapDirectory({
      slug: provider.slug,
      name: provider.name,
      settings,
      bindPassword,
      timeoutMs: options.timeoutMs,
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  function retire(directory: Promise<LdapDirectory>): void {
    void directory.then((old) => old.close()).catch(() => undefined);
  }

  return {
    async directoryFor(provider: IdentityProviderRecord): Promise<LdapDirectory> {
      const key = `${provider.slug}:${provider.updatedAt}`;
      const cached = cache.get(provider.slug);
      if (cached?.key === key) return await cached.directory;
      if (cached) retire(cached.directory);
      const directory = build(provider);
      cache.set(provider.slug, { key, directory });
      // A row that cannot be used (bad settings, a secret that does not open) is not cached: the next call retries.
      directory.catch(() => {
        if (cache.get(provider.slug)?.directory === directory) cache.delete(provider.slug);
      });
      return await directory;
    },
    async close(): Promise<void> {
      const all = [...cache.values()];
      cache.clear();
      await Promise.all(all.map(({ directory }) => directory.then((d) => d.close()).catch(() => undefined)));
    },
  };
}

export type { Directory };
