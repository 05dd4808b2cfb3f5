// One LDAP / Active Directory directory (issue 23), as Dex's LDAP connector does it: search for the person as a
// service account (the email escaped per RFC 4515 into the administrator's filter), then bind as the entry found
// with the typed password (RFC 4513 §5.1.3). Groups come from the entry's memberOf and/or a search under the group
// base. A directory that is down, slow or refuses the service account throws DirectoryUnavailable: its people
// cannot sign in now, and Gatehouse never falls back to anything local. No password ever reaches a log or an error.
import { InvalidCredentialsError, type Entry } from 'ldapts';
import { DirectoryUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Directory, DirectoryCheck, DirectoryEntry } from './federation.js';
import { firstRdnValue, groupFilterFor, userFilterFor } from './ldap-filter.js';
import { LdapPool, type LdapConnection } from './ldap-pool.js';
import type { LdapSettings } from './provider-settings.js';

/** ppolicy's value for a lock set by an administrator, which no lockout duration ends (slapo-ppolicy(5)). */
const PERMANENT_LOCK = '000001010000Z';
/** Active Directory's userAccountControl ACCOUNTDISABLE bit. */
const ACCOUNT_DISABLED = 0x2;
const GROUP_SEARCH_LIMIT = 1000;

export interface LdapDirectoryOptions {
  slug: string;
  /** The provider's display name, for the person-facing message. */
  name: string;
  settings: LdapSettings;
  /** The service account's password (opened from the secret box by the caller). */
  bindPassword: string;
  /** Each authenticate/findByEmail, queueing included. */
  timeoutMs: number;
  /** Default 4. */
  maxConnections?: number;
  /** Default 30 s. */
  idleMs?: number;
  logger?: Pick<Logger, 'warn'>;
}

/** An entry as searched, before the person's bind. */
interface FoundEntry extends DirectoryEntry {
  /** Locked for good (ppolicy's administrator lock, or AD's disabled bit): no bind is even tried. */
  lockedForGood: boolean;
}

function valuesOf(entry: Entry, attribute: string): (string | Buffer)[] {
  const wanted = attribute.toLowerCase();
  const key = Object.keys(entry).find((name) => name.toLowerCase() === wanted);
  if (!key || key === 'dn') return [];
  const value = entry[key];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function stringsOf(entry: Entry, attribute: string): string[] {
  return valuesOf(entry, attribute).map((value) => (typeof value === 'string' ? value : value.toString('utf8')));
}

/** Active Directory's objectGUID bytes as its usual string: the first three groups are little-endian. */
export function guidString(bytes: Buffer): string | null {
  if (bytes.length !== 16) return null;
  const hex = (from: number, to: number, reverse: boolean) => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

function addGroup(groups: string[], name: string | null): void {
  if (name && !groups.some((group) => group.toLowerCase() === name.toLowerCase())) groups.push(name);
}

export class LdapDirectory implements Directory {
  private readonly pool: LdapPool;
  private readonly unavailableMessage: string;

  constructor(private readonly options: LdapDirectoryOptions) {
    const { settings } = options;
    this.pool = new LdapPool({
      url: settings.url,
      // ldaps:// is TLS from the first byte; StartTLS only upgrades ldap://.
      startTls: settings.url.startsWith('ldap://') && settings.startTls,
      ca: settings.ca,
      timeoutMs: options.timeoutMs,
      maxConnections: options.maxConnections ?? 4,
      idleMs: options.idleMs ?? 30_000,
    });
    this.unavailableMessage = `The directory ${options.name} is not answering. Try again later.`;
  }

  async authenticate(email: string, password: string): Promise<DirectoryCheck> {
    return await this.withConnection(password, async (connection, deadline) => {
      const found = await this.search(connection, deadline, email);
      if (!found) return { outcome: 'not_found' };
      const { lockedForGood, ...entry } = found;
      // RFC 4513 §5.1.2: a simple bind with a DN and an empty password is an "unauthenticated bind" that many
      // servers answer with success (as anonymous). It must never count as a right password: no bind is tried.
      if (password === '') return { outcome: 'refused', reason: 'wrong_password', entry };
      if (lockedForGood) return { outcome: 'refused', reason: 'locked', entry };
      // From here the connection is no longer the service account's: the next service search binds again.
      connection.boundAs = null;
      try {
        await connection.run(deadline, (client) => client.bind(entry.dn, password));
      } catch (error) {
        if (!(error instanceof InvalidCredentialsError)) throw error;
        // A temporary ppolicy lock still in force also answers invalidCredentials; one that has run out lets the
        // bind succeed (slapd then clears the lock), so only a failed bind of a locked entry says "locked".
        return { outcome: 'refused', reason: entry.locked ? 'locked' : 'wrong_password', entry };
      }
      connection.boundAs = 'person';
      return { outcome: 'authenticated', entry: { ...entry, locked: false } };
    });
  }

  async findByEmail(email: string): Promise<DirectoryEntry | null> {
    return await this.withConnection(null, async (connection, deadline) => {
      const found = await this.search(connection, deadline, email);
      if (!found) return null;
      const { lockedForGood: _lockedForGood, ...entry } = found;
      return entry;
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** A pooled connection for `work`, within FEDERATION_TIMEOUT_MS from now; any failure → DirectoryUnavailable. */
  private async withConnection<T>(password: string | null, work: (connection: LdapConnection, deadline: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.timeoutMs;
    let connection: LdapConnection | null = null;
    let healthy = false;
    try {
      connection = await this.pool.acquire(deadline);
      const result = await work(connection, deadline);
      healthy = true;
      return result;
    } catch (error) {
      if (error instanceof DirectoryUnavailable) throw error;
      throw this.unavailable(error, password);
    } finally {
      if (connection) this.pool.release(connection, healthy);
    }
  }

  /** The one entry for `email`, searched as the service account; null for none or more than one. */
  private async search(connection: LdapConnection, deadline: number, email: string): Promise<FoundEntry | null> {
    if (email.trim() === '') return null;
    const { settings } = this.options;
    await this.bindService(connection, deadline);
    const attributes = [settings.attributes.email, 'cn', 'entryUUID', 'objectGUID', 'pwdAccountLockedTime', 'userAccountControl'];
    if (settings.attributes.name) attributes.push(settings.attributes.name);
    if (settings.attributes.memberOf) attributes.push(settings.attributes.memberOf);
    const { searchEntries } = await connection.run(deadline, (client) =>
      client.search(settings.userBase, {
        scope: 'sub',
        filter: userFilterFor(settings.userFilter, email),
        // Two are enough to see that the filter is ambiguous.
        sizeLimit: 2,
        attributes,
        explicitBufferAttributes: ['objectGUID'],
      }),
    );
    if (searchEntries.length > 1) {
      // Two people answering to one address is the directory's (or the filter's) mistake: neither signs in.
      this.options.logger?.warn({ provider: this.options.slug, userBase: settings.userBase }, 'ldap: more than one directory entry matches the user filter; nobody is signed in');
      return null;
    }
    const [found] = searchEntries;
    if (!found) return null;
    return { ...this.mapEntry(found, email), groups: await this.groupsOf(connection, deadline, found) };
  }

  private mapEntry(found: Entry, email: string): Omit<FoundEntry, 'groups'> {
    const { attributes } = this.options.settings;
    const mails = stringsOf(found, attributes.email);
    const typed = email.trim().toLowerCase();
    const mail = mails.find((value) => value.trim().toLowerCase() === typed) ?? mails[0] ?? email;
    const uuid = stringsOf(found, 'entryUUID')[0];
    const guidValue = valuesOf(found, 'objectGUID')[0];
    const guid = Buffer.isBuffer(guidValue) ? guidString(guidValue) : null;
    const name = (attributes.name ? stringsOf(found, attributes.name)[0] : undefined) ?? stringsOf(found, 'cn')[0] ?? null;
    const lockedTime = stringsOf(found, 'pwdAccountLockedTime')[0];
    const control = Number(stringsOf(found, 'userAccountControl')[0] ?? '0');
    const disabled = Number.isInteger(control) && (control & ACCOUNT_DISABLED) !== 0;
    return {
      dn: found.dn,
      subject: uuid ?? guid ?? found.dn,
      email: mail.trim(),
      name: name?.trim() || null,
      locked: lockedTime !== undefined || disabled,
      lockedForGood: lockedTime === PERMANENT_LOCK || disabled,
    };
  }

  /** memberOf values' first RDN, then the groups under groupBase naming the entry (member or uniqueMember). */
  private async groupsOf(connection: LdapConnection, deadline: number, found: Entry): Promise<string[]> {
    const { settings } = this.options;
    const groups: string[] = [];
    if (settings.attributes.memberOf) {
      for (const dn of stringsOf(found, settings.attributes.memberOf)) addGroup(groups, firstRdnValue(dn));
    }
    if (settings.groupBase) {
      const groupBase = settings.groupBase;
      const { searchEntries } = await connection.run(deadline, (client) =>
        client.search(groupBase, { scope: 'sub', filter: groupFilterFor(found.dn), sizeLimit: GROUP_SEARCH_LIMIT, attributes: ['cn'] }),
      );
      for (const group of searchEntries) addGroup(groups, stringsOf(group, 'cn')[0] ?? firstRdnValue(group.dn));
    }
    return groups;
  }

  private async bindService(connection: LdapConnection, deadline: number): Promise<void> {
    if (connection.boundAs === 'service') return;
    connection.boundAs = null;
    try {
      await connection.run(deadline, (client) => client.bind(this.options.settings.bindDn, this.options.bindPassword));
    } catch (error) {
      if (error instanceof InvalidCredentialsError) throw this.unavailable(new Error('the directory refused the service account (invalid credentials)'), null);
      throw error;
    }
    connection.boundAs = 'service';
  }

  /** The person-facing DirectoryUnavailable; the detail (log only) says what failed, with no password in it. */
  private unavailable(error: unknown, password: string | null): DirectoryUnavailable {
    let detail = `ldap provider ${this.options.slug} (${this.options.settings.url}): ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    for (const secret of [this.options.bindPassword, password]) {
      if (secret) detail = detail.split(secret).join('[redacted]');
    }
    return new DirectoryUnavailable(this.unavailableMessage, detail);
  }
}
