// The connections of one directory (issue 23): at most `maxConnections` at once, so a burst of sign-ins never
// opens hundreds of connections to the organisation's directory; further operations queue, and the time spent
// queueing counts toward the operation's deadline (FEDERATION_TIMEOUT_MS). A connection is handed out only once its
// TLS is up (ldaps://, or StartTLS on ldap:// before anything else is sent, RFC 4513 §3.1.5); a failed StartTLS is
// an error, never a plain-text fallback. A connection whose operation failed is discarded, idle ones close after
// `idleMs`. ldapts reconnects a dropped connection silently on the next operation, in plain text and unbound:
// every socket of ours may be opened once, and a connection is only used while ldapts says it is connected.
import net from 'node:net';
import tls from 'node:tls';
import { Client } from 'ldapts';

export interface LdapPoolOptions {
  /** `ldap://host:port` or `ldaps://host:port`. */
  url: string;
  /** ldap:// only: StartTLS before any bind. */
  startTls: boolean;
  /** PEM of the CA(s) the server's certificate must chain to; null: the system's CAs. */
  ca: string | null;
  timeoutMs: number;
  maxConnections: number;
  idleMs: number;
}

/** Why the pool could not give a connection (or an operation died): the caller turns it into DirectoryUnavailable. */
export class LdapTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LdapTransportError';
  }
}

/** One connection to the directory, TLS established (unless the administrator chose plain ldap://). */
export class LdapConnection {
  /** Who the last successful bind made us: the service account, someone else (a person), or nobody. */
  boundAs: 'service' | 'person' | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  private destroyed = false;

  /** Set when any of our sockets closes: after StartTLS, ldapts watches only the plain socket and may not notice. */
  lost = false;

  constructor(
    readonly client: Client,
    private readonly sockets: net.Socket[],
  ) {}

  /** Not destroyed, not lost, and either still connected or not connected yet (ldapts connects at the first operation). */
  get usable(): boolean {
    return !this.destroyed && !this.lost && (this.sockets.length === 0 || this.client.isConnected);
  }

  /** Called by openConnection for each socket it opens. */
  watch(socket: net.Socket): void {
    this.sockets.push(socket);
    socket.once('close', () => (this.lost = true));
  }

  /**
   * Runs one ldapts call, bounded by `deadline` (ms since the epoch). The `usable` check and the call happen in the
   * same tick, so ldapts never gets the chance to reconnect a dropped socket. A timeout destroys the connection.
   */
  async run<T>(deadline: number, call: (client: Client) => Promise<T>): Promise<T> {
    if (!this.usable) throw new LdapTransportError('the connection to the directory was closed');
    if (Date.now() >= deadline) throw new LdapTransportError('the directory did not answer in time');
    return await withinDeadline(call(this.client), deadline, () => this.destroy());
  }

  destroy(): void {
    this.destroyed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const socket of this.sockets) socket.destroy();
  }

  /** A polite unbind (bounded), then the sockets are destroyed whatever happened. */
  async close(): Promise<void> {
    if (this.usable) await withinDeadline(this.client.unbind(), Date.now() + 1000, () => undefined).catch(() => undefined);
    this.destroy();
  }
}

/** `work`, or a rejection once `deadline` passes (`onTimeout` first); a late rejection of `work` is swallowed. */
export function withinDeadline<T>(work: Promise<T>, deadline: number, onTimeout: () => void): Promise<T> {
  work.catch(() => undefined);
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    onTimeout();
    return Promise.reject(new LdapTransportError('the directory did not answer in time'));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new LdapTransportError('the directory did not answer in time'));
    }, remaining);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new LdapTransportError(String(error)));
      },
    );
  });
}

function endpoint(url: string): { secure: boolean; host: string } {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { secure: parsed.protocol === 'ldaps:', host };
}

/** Opens one connection and, for ldap:// with startTls, upgrades it before returning it. */
async function openConnection(options: LdapPoolOptions, deadline: number): Promise<LdapConnection> {
  if (Date.now() >= deadline) throw new LdapTransportError('the directory did not answer in time');
  const { secure, host } = endpoint(options.url);
  // Certificate checks stay on (rejectUnauthorized is never turned off); the name checked is the URL's host (an IP
  // address is matched against the certificate's IP SANs). SNI carries a name only, never an address (RFC 6066 §3).
  const tlsOptions: tls.ConnectionOptions = {
    host,
    ...(net.isIP(host) ? {} : { servername: host }),
    ...(options.ca ? { ca: [options.ca] } : {}),
  };
  let connection: LdapConnection | null = null;
  let plainOpened = false;
  let secureOpened = false;
  const client = new Client({
    url: options.url,
    timeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
    // Only for ldaps://: ldapts treats an ldap:// URL with tlsOptions as TLS from the first byte.
    ...(secure ? { tlsOptions } : {}),
    strictDN: false,
    createConnection: ((port: number, hostname: string) => {
      if (plainOpened) throw new LdapTransportError('the directory connection was lost (no silent reconnect)');
      plainOpened = true;
      const socket = net.connect(port, hostname);
      connection?.watch(socket);
      return socket;
    }) as typeof net.connect,
    createSecureConnection: ((...args: Parameters<typeof tls.connect>) => {
      if (secureOpened) throw new LdapTransportError('the directory connection was lost (no silent reconnect)');
      secureOpened = true;
      const socket = (tls.connect as (...a: unknown[]) => tls.TLSSocket)(...args);
      connection?.watch(socket);
      return socket;
    }) as typeof tls.connect,
  });
  const opened = new LdapConnection(client, []);
  connection = opened;
  try {
    // ldapts connects lazily (it has no public connect): for ldaps:// the first run() opens the connection, TLS
    // from the first byte, within that operation's deadline.
    if (!secure && options.startTls) {
      // RFC 4513 §3.1.5: nothing but the StartTLS request before the upgrade. A refusal (the server has no
      // certificate) or a certificate that does not check is an error: never a plain-text fallback.
      await withinDeadline(client.startTLS({ ...tlsOptions }), deadline, () => opened.destroy());
    }
    return opened;
  } catch (error) {
    opened.destroy();
    throw error;
  }
}

interface Waiter {
  resolve: (connection: LdapConnection) => void;
  reject: (error: unknown) => void;
  deadline: number;
  timer: NodeJS.Timeout;
}

export class LdapPool {
  private readonly idle: LdapConnection[] = [];
  private readonly waiters: Waiter[] = [];
  /** Connections that exist or are being opened (idle + handed out). */
  private count = 0;
  private closed = false;

  constructor(private readonly options: LdapPoolOptions) {}

  /** A connection for the caller alone, by `deadline`; give it back with release(). */
  async acquire(deadline: number): Promise<LdapConnection> {
    if (this.closed) throw new LdapTransportError('the directory was closed');
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (connection.idleTimer) clearTimeout(connection.idleTimer);
      connection.idleTimer = null;
      if (connection.usable) return connection;
      this.forget(connection);
    }
    if (this.count < this.options.maxConnections) return await this.open(deadline);
    return await new Promise<LdapConnection>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        deadline,
        timer: setTimeout(
          () => {
            const index = this.waiters.indexOf(waiter);
            if (index >= 0) this.waiters.splice(index, 1);
            reject(new LdapTransportError('the directory did not answer in time (every connection was busy)'));
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.waiters.push(waiter);
    });
  }

  /** Gives a connection back: kept (for the next waiter, or idle) only when its operation went well. */
  release(connection: LdapConnection, healthy: boolean): void {
    if (!healthy || this.closed || !connection.usable) {
      this.forget(connection);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(connection);
      return;
    }
    connection.idleTimer = setTimeout(() => {
      const index = this.idle.indexOf(connection);
      if (index >= 0) this.idle.splice(index, 1);
      this.count -= 1;
      void connection.close();
    }, this.options.idleMs);
    connection.idleTimer.unref();
    this.idle.push(connection);
  }

  /** Closes idle connections, refuses waiters; connections in use are destroyed when they come back. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new LdapTransportError('the directory was closed'));
    }
    const idle = this.idle.splice(0);
    this.count -= idle.length;
    await Promise.all(idle.map((connection) => connection.close()));
  }

  private async open(deadline: number): Promise<LdapConnection> {
    this.count += 1;
    try {
      return await openConnection(this.options, deadline);
    } catch (error) {
      this.count -= 1;
      this.serveNextWaiter();
      throw error;
    }
  }

  private forget(connection: LdapConnection): void {
    connection.destroy();
    this.count -= 1;
    this.serveNextWaiter();
  }

  /** A place freed up: the first waiter gets a new connection. */
  private serveNextWaiter(): void {
    if (this.closed || this.count >= this.options.maxConnections) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.open(waiter.deadline).then(waiter.resolve, waiter.reject);
  }
}
