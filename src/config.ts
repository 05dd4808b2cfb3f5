// Environment → validated Config. The only module that reads process.env; everything else receives a Config.
import { isIP } from 'node:net';
import path from 'node:path';
// zod/mini: the same validation core as `zod`, without the chaining API and English messages (every message
// here is our own), a fraction of its start-up cost (about 15 ms and 2.5 MiB of the server's start).
import * as z from 'zod/mini';
import { codePointLength } from './code-points.js';
import { parseBrandConfig, type BrandConfig } from './branding/brand-config.js';
import { ConfigError } from './errors.js';
import { LANGUAGES, type Language } from './i18n/languages.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type SqliteSynchronous = 'FULL' | 'NORMAL';

/** Every lifetime is in seconds. */
export interface Lifetimes {
  accessToken: number;
  idToken: number;
  authorizationCode: number;
  refreshToken: number;
  refreshTokenIdle: number;
  session: number;
  sessionIdle: number;
  /** RFC 8628 device codes (DEVICE_CODE_TTL, default 600 s). */
  deviceCode: number;
}

/** Where the store lives: the embedded SQLite file (sqliteFile), or a PostgreSQL database shared by several nodes. */
export type DatabaseConfig = { engine: 'sqlite' } | { engine: 'postgres'; url: string; poolSize: number };

export interface Config {
  port: number;
  host: string;
  /** Exactly the `iss` of every token and the `issuer` of discovery. */
  issuer: string;
  /** The path the issuer lives under ('' for the root), where every route is mounted. */
  basePath: string;
  /** Express `trust proxy`: false, a hop count, or the proxies' addresses and subnets. */
  trustProxy: false | number | string[];
  tls: { certFile: string; keyFile: string } | null;
  dataDir: string;
  keysDir: string;
  sqliteFile: string;
  sqliteSynchronous: SqliteSynchronous;
  database: DatabaseConfig;
  /** 32 bytes that encrypt private keys stored in PostgreSQL (AES-256-GCM); null in SQLite mode. */
  keyEncryptionKey: Buffer | null;
  /** 32 bytes that encrypt private keys inside an `idp export` file (TRANSFER_KEY); only the export and import need it. */
  transferKey: Buffer | null;
  signingKeyBits: 2048 | 3072 | 4096;
  passwordMinLength: number;
  lifetimes: Lifetimes;
  /** Cache-Control max-age of the JWKS, seconds: relying applications may keep a key set this long. */
  jwksMaxAge: number;
  /** Seconds a new signing key is published before it signs: longer than jwksMaxAge, so no cache misses it. */
  keyPrepublish: number;
  /** Seconds between automatic key rotations (each rotation's key activates this long after the previous). */
  keyRotationInterval: number;
  /** Seconds between re-reads of the key set shared in PostgreSQL, so every node serves a change made by one. */
  keyRefreshInterval: number;
  discoveryMaxAge: number;
  logLevel: LogLevel;
  /** SMTP_URL: where outgoing mail goes (smtp:// or smtps://, may hold a password); null writes it to DATA_DIR/outbox/. */
  smtpUrl: string | null;
  /** MAIL_FROM: the From of every outgoing mail, `address` or `Name <address>`. */
  mailFrom: string;
  /** REQUIRE_MFA: every sign-in ends with a second factor; a person without one sets it up first. */
  requireMfa: boolean;
  /**
   * REQUIRE_PAR (issue 28, RFC 9126 §5): every authorization request must come through the pushed authorization
   * request endpoint (`request_uri`); a client may require it for itself alone (requirePushedAuthorizationRequests).
   */
  requirePar: boolean;
  /**
   * ALLOW_PRIVATE_CLIENT_URLS: whether a client's back-channel logout URI and jwks_uri may name a private,
   * loopback, link-local or other special-purpose address (src/manage/client-urls.ts), at registration and at
   * each request.
   * By default only when the issuer itself is on loopback (development, tests, the demo).
   */
  allowPrivateClientUrls: boolean;
  /** FEDERATION_TIMEOUT_MS: the bound on each call to an upstream provider or directory (default 10 s). */
  federationTimeoutMs: number;
  /**
   * REFRESH_REUSE_GRACE, seconds (0: strict rotation): how long after a rotation the same client may present the
   * spent refresh token again and receive the same successor (src/oidc/grants/refresh-retry.ts). A client may
   * override it.
   */
  refreshReuseGrace: number;
  /**
   * AUDIT_CHAIN_KEY: 32 bytes; new audit events are chained with HMAC-SHA-256 under it (src/audit/chain.ts), so
   * rewriting the chain needs the key as well as the database. Null: SHA-256 only.
   */
  auditChainKey: Buffer | null;
  /**
   * BREACHED_PASSWORDS_FILE: a local breach corpus (sorted upper-case SHA-1 lines, as the Have I Been Pwned
   * downloader writes them); a person whose password is in it chooses a new one when signing in. Null: no check.
   */
  breachedPasswordsFile: string | null;
  /**
   * ACCESS_CONTACT: whom a person refused by an application's access rule should ask (free text, at most
   * MAX_ACCESS_CONTACT_LENGTH characters, no control characters), shown on the "You don't have access" page when the
   * application names nobody itself. Null: "your administrator".
   */
  accessContact: string | null;
  /**
   * DYNAMIC_REGISTRATION (issue 24, RFC 7591): 'closed' (default: POST /register refuses, discovery does not
   * advertise it), 'token' (an initial access token from `idp registration token create` is required) or 'open'
   * (anyone may register; throttled per address).
   */
  dynamicRegistration: DynamicRegistrationMode;
  /**
   * REGISTRATION_ALLOW_PRIVATE_URLS (default false, whatever the issuer): whether a dynamically registered client's
   * jwks_uri and backchannel_logout_uri may resolve to a private, loopback, link-local or cloud-metadata address.
   * Strangers register those clients, so this is stricter than ALLOW_PRIVATE_CLIENT_URLS (which it never widens:
   * both must allow). Tests and a demo on loopback set it.
   */
  registrationAllowPrivateUrls: boolean;
  /**
   * DEFAULT_LOCALE (issue 25): the language of a page when neither the request's ui_locales, nor the person's pick,
   * nor their browser's Accept-Language names one we ship (src/i18n/page-locale.ts). Default 'en'.
   */
  defaultLocale: Language;
  /** BRAND_* (issue 25): the organisation's name, logo, favicon, colour and extra CSS (src/branding/brand-config.ts). */
  brand: BrandConfig;
  /**
   * Issue 26, metrics (src/metrics/). METRICS_TOKEN: the bearer token `GET /metrics` requires (at least 32
   * characters); METRICS_PORT: a listener of its own on 127.0.0.1 serving only /metrics. Neither set: no metrics.
   * With both, the metrics listener asks for the token too.
   */
  metrics: { token: string | null; port: number | null };
  /**
   * Issue 26, the delivery queue (src/delivery/): the wait before the second attempt (DELIVERY_RETRY_BASE seconds,
   * default 10; doubled at each further attempt, at most an hour) and the attempts before a delivery is dead
   * (DELIVERY_MAX_ATTEMPTS, default 10).
   */
  delivery: { retryBaseSeconds: number; maxAttempts: number };
  /**
   * Issue 26, KEY_ACTIVATION_REQUIRES_READY: an automatic rotation's key activates only once every active client
   * has fetched the JWKS since the key was published, or KEY_READY_DEADLINE seconds (default 7 days) after its
   * scheduled activation, whichever is first (src/signing/key-readiness.ts).
   */
  keyReadiness: { required: boolean; deadlineSeconds: number };
}

export type DynamicRegistrationMode = 'closed' | 'token' | 'open';

/** The longest ACCESS_CONTACT, in Unicode code points: a name, an address or a short sentence. */
export const MAX_ACCESS_CONTACT_LENGTH = 200;

/** The longest refresh reuse grace, seconds: a retry of a lost response comes within moments, a thief has all day. */
export const MAX_REFRESH_REUSE_GRACE = 300;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const NAMED_PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Seconds a new key is published beyond the JWKS cache lifetime before it may sign. */
export const KEY_PREPUBLISH_MARGIN = MINUTE;

type Env = Record<string, string | undefined>;

/** Reads one variable; an empty string counts as unset, as in most container runtimes. */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A file the operator names, resolved against the working directory; unset or blank is none. */
function optionalPath(env: Env, name: string, cwd: string): string | null {
  const value = read(env, name);
  return value === undefined ? null : path.resolve(cwd, value);
}

function parseWith<T>(env: Env, name: string, schema: z.ZodMiniType<T>, fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const result = schema.safeParse(raw);
  if (!result.success) {
    const message = result.error.issues[0]?.message ?? 'is invalid';
    throw new ConfigError(name, `${message} (got ${JSON.stringify(raw)})`);
  }
  return result.data;
}

function integer(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.pipe(z.string().check(z.regex(/^\d+$/, message)), z.transform(Number)).check(z.refine((n: number) => n >= min && n <= max, message));
}

function oneOf<T extends string>(values: readonly T[]) {
  return z.pipe(
    z.string().check(z.refine((v: string) => (values as readonly string[]).includes(v), `must be one of ${values.join(', ')}`)),
    z.transform((v: string) => v as T),
  );
}

function lifetime(env: Env, name: string, fallback: number, max = 365 * DAY): number {
  return parseWith(env, name, integer(1, max), fallback);
}

export function isLoopbackHostname(hostname: string): boolean {
  if (LOOPBACK_HOSTS.has(hostname)) return true;
  // Any address in 127.0.0.0/8 is loopback (RFC 1122 §3.2.1.3).
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/**
 * Whether the issuer is a development set-up: its host is a loopback address, so nothing outside this machine
 * can use it, and its applications' back-channel receivers are on loopback too.
 */
export function isLoopbackIssuer(issuer: string): boolean {
  return isLoopbackHostname(new URL(issuer).hostname);
}

function parseIssuer(raw: string): { issuer: string; basePath: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('ISSUER', `must be an absolute URL (got ${JSON.stringify(raw)})`);
  }
  const problem =
    url.protocol !== 'https:' && url.protocol !== 'http:'
      ? 'must use https'
      : raw.includes('?')
        ? 'must not have a query'
        : raw.includes('#')
          ? 'must not have a fragment'
          : url.username || url.password
            ? 'must not contain credentials'
            : url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)
              ? 'must use https unless the host is localhost, 127.0.0.1 or ::1'
              : undefined;
  if (problem) throw new ConfigError('ISSUER', `${problem} (got ${JSON.stringify(raw)})`);
  return { issuer: raw, basePath: url.pathname.replace(/\/+$/, '') };
}

function parseTrustProxy(raw: string | undefined): Config['trustProxy'] {
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) throw new ConfigError('TRUST_PROXY', `must be a hop count from 0 to 10 or a list of proxy addresses (got ${JSON.stringify(raw)})`);
    return hops;
  }
  if (raw === 'true') {
    throw new ConfigError('TRUST_PROXY', 'must name the proxies (addresses, subnets, "loopback") or count them; "true" would let any client forge X-Forwarded-For');
  }
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const validPrefix = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (isIP(address ?? '') === 6 ? 128 : 32));
    if (NAMED_PROXY_RANGES.has(entry)) continue;
    if (rest.length > 0 || !isIP(address ?? '') || !validPrefix) {
      throw new ConfigError('TRUST_PROXY', `must be a hop count or a comma-separated list of IP addresses, subnets, loopback, linklocal or uniquelocal (bad entry ${JSON.stringify(entry)})`);
    }
  }
  return entries;
}

/** Never echoes the URL or the key: both hold secrets. */
function parseDatabase(env: Env): { database: DatabaseConfig; keyEncryptionKey: Buffer | null } {
  const raw = read(env, 'DATABASE_URL');
  const poolSize = parseWith(env, 'DATABASE_POOL_SIZE', integer(1, 100), 10);
  if (raw === undefined) return { database: { engine: 'sqlite' }, keyEncryptionKey: null };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'must be a URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must be a postgres:// URL (got the scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))}); unset it to use the embedded SQLite store`);
  }
  if (!url.hostname || url.pathname.length <= 1) throw new ConfigError('DATABASE_URL', 'must name a host and a database, as in postgres://USER:PASSWORD@HOST:5432/DATABASE');
  const key = parseAesKey(env, 'KEY_ENCRYPTION_KEY');
  if (key === null) {
    throw new ConfigError('KEY_ENCRYPTION_KEY', 'is required with DATABASE_URL: signing keys are stored encrypted in the database; generate one with `openssl rand -base64 32`');
  }
  return { database: { engine: 'postgres', url: raw, poolSize }, keyEncryptionKey: key };
}

/** A 256-bit AES key given as base64; null when unset. Never echoes the value. */
function parseAesKey(env: Env, name: string): Buffer | null {
  const key = read(env, name);
  if (key === undefined) return null;
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  if (decoded.length !== 32) throw new ConfigError(name, 'must be the base64 of exactly 32 random bytes, e.g. from `openssl rand -base64 32`');
  return decoded;
}

/** Never echoes the URL: its user part may hold the relay's password. */
function parseSmtpUrl(env: Env): string | null {
  const raw = read(env, 'SMTP_URL');
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('SMTP_URL', 'must be a URL such as smtp://USER:PASSWORD@HOST:587 or smtps://USER:PASSWORD@HOST:465; unset it to write mail to DATA_DIR/outbox/');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    // Not even the scheme is echoed: in a mistyped value such as `user:password@host` it is the user name.
    throw new ConfigError('SMTP_URL', 'must be an smtp:// or smtps:// URL; unset it to write mail to DATA_DIR/outbox/');
  }
  if (!url.hostname) throw new ConfigError('SMTP_URL', 'must name a host, as in smtp://USER:PASSWORD@HOST:587');
  return raw;
}

// An RFC 5322 addr-spec restricted to what a deployment plausibly uses: a dot-atom local part and a domain name
// or address literal. Neither part may hold whitespace, so no CR or LF can reach the From header.
const ADDRESS = String.raw`[A-Za-z0-9!#$%&'*+/=?^_\x60{|}~.-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[A-Za-z0-9.:]+\])`;
const BARE_ADDRESS = new RegExp(`^${ADDRESS}$`);
// The display name, optional: quoted text, or unquoted text without RFC 5322 §3.2.3 specials (a comma would make
// a second address); neither may hold a control character (C0, DEL, C1): a CR or LF would start a header of the
// sender's choosing.
const DISPLAY_NAME = String.raw`"[^"\\\x00-\x1f\x7f-\x9f]*"|[^()<>[\]:;@\\,"\x00-\x1f\x7f-\x9f]*[^()<>[\]:;@\\,"\s\x00-\x1f\x7f-\x9f]`;
const NAMED_ADDRESS = new RegExp(String.raw`^(?:(?:${DISPLAY_NAME})\s*)?<${ADDRESS}>$`);

/** The issuer's host as the domain of an address: a name as is, an IP address as an RFC 5321 §4.1.3 literal. */
function mailDomain(issuer: string): string {
  const hostname = new URL(issuer).hostname;
  if (hostname.startsWith('[')) return `[IPv6:${hostname.slice(1, -1)}]`;
  return isIP(hostname) === 4 ? `[${hostname}]` : hostname;
}

function parseMailFrom(env: Env, issuer: string, brandName: string | null): string {
  const raw = read(env, 'MAIL_FROM');
  // Issue 25: mails come from the organisation's name (BRAND_NAME) unless MAIL_FROM says otherwise; quoted as an
  // RFC 5322 quoted-string, so a name with a comma or a parenthesis stays one display name.
  if (raw === undefined) {
    const name = brandName ?? 'Gatehouse';
    const displayName = /^[\p{L}\p{N} ]+$/u.test(name) ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
    return `${displayName} <no-reply@${mailDomain(issuer)}>`;
  }
  if (!BARE_ADDRESS.test(raw) && !NAMED_ADDRESS.test(raw)) {
    throw new ConfigError('MAIL_FROM', `must be an address (no-reply@example.com) or a name and an address (Gatehouse <no-reply@example.com>), on one line (got ${JSON.stringify(raw)})`);
  }
  return raw;
}

/**
 * Free text shown on a page (escaped there), on one line: a control character (a newline, an escape sequence) has
 * no place in it and would garble the page or a log line quoting it.
 */
function oneLineText(max: number) {
  return z.string().check(
    z.refine((text: string) => !/\p{Cc}/u.test(text), 'must not contain control characters (a newline, a tab)'),
    z.refine((text: string) => codePointLength(text) <= max, `must be at most ${max} characters`),
  );
}

/**
 * METRICS_TOKEN: compared in constant time with the bearer token of a scrape; long enough not to be guessed, and
 * made of the characters an Authorization header carries as they are (RFC 6750 §2.1 b64token). Never echoed.
 */
function parseMetricsToken(env: Env): string | null {
  const token = read(env, 'METRICS_TOKEN');
  if (token === undefined) return null;
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token) || token.length < 32) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (e.g. from `openssl rand -hex 32`)');
  }
  return token;
}

/** Reads and validates the whole configuration; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const { database, keyEncryptionKey } = parseDatabase(env);
  const port = parseWith(env, 'PORT', integer(1, 65535), 3000);
  const host = parseWith(env, 'HOST', z.string().check(z.refine((h: string) => isIP(h) !== 0 || /^[A-Za-z0-9.-]{1,253}$/.test(h), 'must be an IP address or a host name')), '0.0.0.0');

  const certFile = read(env, 'TLS_CERT_FILE');
  const keyFile = read(env, 'TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const missing = certFile === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE';
    throw new ConfigError(missing, 'must be set together with ' + (missing === 'TLS_CERT_FILE' ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'));
  }
  const tls = certFile && keyFile ? { certFile: path.resolve(cwd, certFile), keyFile: path.resolve(cwd, keyFile) } : null;

  const brand = parseBrandConfig(env, cwd);
  const { issuer, basePath } = parseIssuer(read(env, 'ISSUER') ?? `${tls ? 'https' : 'http'}://localhost:${port}`);
  const dataDir = path.resolve(cwd, read(env, 'DATA_DIR') ?? './data');

  const jwksMaxAge = parseWith(env, 'JWKS_MAX_AGE', integer(0, DAY), 5 * MINUTE);
  // A margin over the JWKS cache lifetime covers a response in flight and a relying party's clock.
  const minimumPrepublish = jwksMaxAge + KEY_PREPUBLISH_MARGIN;
  const keyPrepublish = parseWith(env, 'KEY_PREPUBLISH', integer(1, 30 * DAY), Math.max(DAY, minimumPrepublish));
  if (keyPrepublish < minimumPrepublish) {
    throw new ConfigError(
      'KEY_PREPUBLISH',
      `must be at least JWKS_MAX_AGE + ${KEY_PREPUBLISH_MARGIN} (${minimumPrepublish}) seconds, so that every cached JWKS holds a new key before it signs (got ${keyPrepublish})`,
    );
  }
  const keyRotationInterval = parseWith(env, 'KEY_ROTATION_INTERVAL', integer(1, 3650 * DAY), Math.max(90 * DAY, keyPrepublish + 1));
  if (keyRotationInterval <= keyPrepublish) {
    throw new ConfigError('KEY_ROTATION_INTERVAL', `must be longer than KEY_PREPUBLISH (${keyPrepublish} seconds) (got ${keyRotationInterval})`);
  }

  // The issue bounds it at 30 s; KEY_PREPUBLISH (at least 60 s) therefore always outlasts it, so every node
  // publishes a new key before any node signs with it.
  const keyRefreshInterval = parseWith(env, 'KEY_REFRESH_INTERVAL', integer(1, 30), 15);

  return {
    port,
    host,
    issuer,
    basePath,
    trustProxy: parseTrustProxy(read(env, 'TRUST_PROXY')),
    tls,
    dataDir,
    keysDir: path.resolve(cwd, read(env, 'KEYS_DIR') ?? './keys'),
    sqliteFile: path.join(dataDir, 'idp.sqlite'),
    sqliteSynchronous: parseWith(env, 'SQLITE_SYNCHRONOUS', oneOf(['FULL', 'NORMAL'] as const), 'FULL'),
    database,
    keyEncryptionKey,
    transferKey: parseAesKey(env, 'TRANSFER_KEY'),
    signingKeyBits: parseWith(env, 'SIGNING_KEY_BITS', z.pipe(oneOf(['2048', '3072', '4096'] as const), z.transform(Number)), 2048) as 2048 | 3072 | 4096,
    passwordMinLength: parseWith(env, 'PASSWORD_MIN_LENGTH', integer(8, 64), 15),
    lifetimes: {
      accessToken: lifetime(env, 'ACCESS_TOKEN_TTL', 10 * MINUTE, DAY),
      idToken: lifetime(env, 'ID_TOKEN_TTL', HOUR, DAY),
      authorizationCode: lifetime(env, 'AUTHORIZATION_CODE_TTL', MINUTE, 10 * MINUTE),
      refreshToken: lifetime(env, 'REFRESH_TOKEN_TTL', 30 * DAY),
      refreshTokenIdle: lifetime(env, 'REFRESH_TOKEN_IDLE_TTL', 14 * DAY),
      session: lifetime(env, 'SESSION_TTL', 12 * HOUR, 90 * DAY),
      sessionIdle: lifetime(env, 'SESSION_IDLE_TTL', 2 * HOUR, 90 * DAY),
      // RFC 8628 §3.2: long enough to find the code on another device, short enough that a stray one soon dies.
      deviceCode: lifetime(env, 'DEVICE_CODE_TTL', 10 * MINUTE, HOUR),
    },
    jwksMaxAge,
    keyPrepublish,
    keyRotationInterval,
    keyRefreshInterval,
    discoveryMaxAge: parseWith(env, 'DISCOVERY_MAX_AGE', integer(0, DAY), HOUR),
    logLevel: parseWith(env, 'LOG_LEVEL', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), 'info'),
    smtpUrl: parseSmtpUrl(env),
    mailFrom: parseMailFrom(env, issuer, brand.name),
    requireMfa: parseWith(env, 'REQUIRE_MFA', oneOf(['true', 'false'] as const), 'false') === 'true',
    requirePar: parseWith(env, 'REQUIRE_PAR', oneOf(['true', 'false'] as const), 'false') === 'true',
    // Server-side requests to an address the administrator names can reach what only this host can (a cloud
    // metadata service, an admin port): outside development they are refused unless the operator says otherwise.
    allowPrivateClientUrls: parseWith(env, 'ALLOW_PRIVATE_CLIENT_URLS', oneOf(['true', 'false'] as const), isLoopbackIssuer(issuer) ? 'true' : 'false') === 'true',
    refreshReuseGrace: parseWith(env, 'REFRESH_REUSE_GRACE', integer(0, MAX_REFRESH_REUSE_GRACE), 0),
    auditChainKey: parseAesKey(env, 'AUDIT_CHAIN_KEY'),
    breachedPasswordsFile: optionalPath(env, 'BREACHED_PASSWORDS_FILE', cwd),
    accessContact: parseWith<string | null>(env, 'ACCESS_CONTACT', oneLineText(MAX_ACCESS_CONTACT_LENGTH), null),
    // Issue 23: every call to an upstream identity provider or directory ends within this many milliseconds (a
    // page says the provider did not answer; nothing waits for ever, nothing falls back to a local password).
    federationTimeoutMs: parseWith(env, 'FEDERATION_TIMEOUT_MS', integer(100, 60_000), 10_000),
    dynamicRegistration: parseWith(env, 'DYNAMIC_REGISTRATION', oneOf(['closed', 'token', 'open'] as const), 'closed'),
    registrationAllowPrivateUrls: parseWith(env, 'REGISTRATION_ALLOW_PRIVATE_URLS', oneOf(['true', 'false'] as const), 'false') === 'true',
    defaultLocale: parseWith(env, 'DEFAULT_LOCALE', oneOf(LANGUAGES), 'en'),
    brand,
    metrics: {
      token: parseMetricsToken(env),
      port: parseWith<number | null>(env, 'METRICS_PORT', integer(1, 65535), null),
    },
    delivery: {
      retryBaseSeconds: parseWith(env, 'DELIVERY_RETRY_BASE', integer(1, HOUR), 10),
      maxAttempts: parseWith(env, 'DELIVERY_MAX_ATTEMPTS', integer(1, 30), 10),
    },
    keyReadiness: {
      required: parseWith(env, 'KEY_ACTIVATION_REQUIRES_READY', oneOf(['true', 'false'] as const), 'false') === 'true',
      deadlineSeconds: parseWith(env, 'KEY_READY_DEADLINE', integer(0, 90 * DAY), 7 * DAY),
    },
  };
}
