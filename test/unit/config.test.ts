import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const CWD = path.resolve('/srv/gatehouse');

type Env = Record<string, string | undefined>;

/** Runs loadConfig and returns the ConfigError it throws; fails the test if it throws nothing or something else. */
function configError(env: Env): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env, CWD);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected loadConfig(${JSON.stringify(env)}) to throw`).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

/** The error names the variable, its message is one line that starts with the variable's name. */
function expectRefused(env: Env, variable: string, pattern?: RegExp): ConfigError {
  const error = configError(env);
  expect(error.variable).toBe(variable);
  expect(error.name).toBe('ConfigError');
  expect(error.message.startsWith(`${variable} `)).toBe(true);
  expect(error.message).not.toMatch(/[\r\n]/);
  if (pattern) expect(error.message).toMatch(pattern);
  return error;
}

describe('defaults (nothing set)', () => {
  const config = loadConfig({}, CWD);

  it('listens on port 3000 on every interface', () => {
    expect(config.port).toBe(3000);
    expect(config.host).toBe('0.0.0.0');
  });

  it('uses http://localhost:3000 as the issuer, mounted at the root', () => {
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.basePath).toBe('');
  });

  it('keeps data in ./data and keys in ./keys, resolved against the working directory', () => {
    expect(config.dataDir).toBe(path.join(CWD, 'data'));
    expect(config.sqliteFile).toBe(path.join(CWD, 'data', 'idp.sqlite'));
    expect(config.keysDir).toBe(path.join(CWD, 'keys'));
  });

  it('writes SQLite with synchronous FULL and signs with 2048-bit RSA keys', () => {
    expect(config.sqliteSynchronous).toBe('FULL');
    expect(config.signingKeyBits).toBe(2048);
  });

  it('asks for passwords of at least 15 characters (NIST SP 800-63B single-factor minimum)', () => {
    expect(config.passwordMinLength).toBe(15);
  });

  it('gives tokens, codes and sessions their documented lifetimes in seconds', () => {
    expect(config.lifetimes).toEqual({
      accessToken: 600,
      idToken: 3600,
      authorizationCode: 60,
      refreshToken: 30 * 86400,
      refreshTokenIdle: 14 * 86400,
      session: 12 * 3600,
      sessionIdle: 2 * 3600,
      deviceCode: 600,
    });
    expect(config.jwksMaxAge).toBe(300);
    expect(config.discoveryMaxAge).toBe(3600);
  });

  it('logs at info, trusts no proxy and serves plain HTTP', () => {
    expect(config.logLevel).toBe('info');
    expect(config.trustProxy).toBe(false);
    expect(config.tls).toBeNull();
  });

  it('writes mail to the outbox (no SMTP relay), from Gatehouse <no-reply@localhost>', () => {
    expect(config.smtpUrl).toBeNull();
    expect(config.mailFrom).toBe('Gatehouse <no-reply@localhost>');
  });
});

describe('derived settings', () => {
  it('derives the default issuer from PORT', () => {
    expect(loadConfig({ PORT: '8080' }, CWD).issuer).toBe('http://localhost:8080');
  });

  it('makes the default issuer https when TLS_CERT_FILE and TLS_KEY_FILE are both set', () => {
    const config = loadConfig({ TLS_CERT_FILE: 'tls/cert.pem', TLS_KEY_FILE: '/etc/tls/key.pem', PORT: '8443' }, CWD);
    expect(config.issuer).toBe('https://localhost:8443');
    expect(config.tls).toEqual({ certFile: path.join(CWD, 'tls', 'cert.pem'), keyFile: path.resolve('/etc/tls/key.pem') });
  });

  it('resolves a relative DATA_DIR and KEYS_DIR against the working directory and keeps absolute ones', () => {
    const config = loadConfig({ DATA_DIR: 'var/db', KEYS_DIR: '/etc/gatehouse/keys' }, CWD);
    expect(config.dataDir).toBe(path.join(CWD, 'var', 'db'));
    expect(config.sqliteFile).toBe(path.join(CWD, 'var', 'db', 'idp.sqlite'));
    expect(config.keysDir).toBe(path.resolve('/etc/gatehouse/keys'));
  });

  it('mounts every route under the path of an issuer that has one', () => {
    const config = loadConfig({ ISSUER: 'https://sso.example.com/gatehouse' }, CWD);
    expect(config.issuer).toBe('https://sso.example.com/gatehouse');
    expect(config.basePath).toBe('/gatehouse');
  });

  it('drops a trailing slash from the base path', () => {
    expect(loadConfig({ ISSUER: 'https://sso.example.com/a/b/' }, CWD).basePath).toBe('/a/b');
    expect(loadConfig({ ISSUER: 'https://sso.example.com/' }, CWD).basePath).toBe('');
  });

  it('counts an empty or blank variable as unset', () => {
    const config = loadConfig(
      {
        PORT: '',
        HOST: ' ',
        ISSUER: '',
        DATA_DIR: '',
        TRUST_PROXY: '',
        LOG_LEVEL: '  ',
        DATABASE_URL: '',
        TLS_CERT_FILE: '',
        TLS_KEY_FILE: '',
        ACCESS_TOKEN_TTL: '',
        SMTP_URL: '',
        MAIL_FROM: ' ',
      },
      CWD,
    );
    expect(config).toEqual(loadConfig({}, CWD));
  });

  it('ignores surrounding whitespace in a value', () => {
    expect(loadConfig({ PORT: ' 8080 ' }, CWD).port).toBe(8080);
  });
});

describe('PORT', () => {
  it('accepts 1 and 65535', () => {
    expect(loadConfig({ PORT: '1' }, CWD).port).toBe(1);
    expect(loadConfig({ PORT: '65535' }, CWD).port).toBe(65535);
  });

  it.each(['abc', '0', '70000', '65536', '-1', '80.5', '0x50', '1e3'])('refuses %j', (value) => {
    const error = expectRefused({ PORT: value }, 'PORT');
    expect(error.message).toContain(JSON.stringify(value));
  });
});

describe('HOST', () => {
  it.each(['127.0.0.1', '::', 'idp.internal', 'localhost'])('accepts %j', (value) => {
    expect(loadConfig({ HOST: value }, CWD).host).toBe(value);
  });

  it.each(['not a host!', 'host_name', 'http://example.com', 'a/b'])('refuses %j', (value) => {
    expectRefused({ HOST: value }, 'HOST');
  });
});

describe('ISSUER (OIDC Discovery §4.1, RFC 8414 §2)', () => {
  it('accepts an https URL as given', () => {
    expect(loadConfig({ ISSUER: 'https://sso.example.com' }, CWD).issuer).toBe('https://sso.example.com');
  });

  it.each(['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:3000/idp'])('allows http on the loopback host of %j', (issuer) => {
    expect(loadConfig({ ISSUER: issuer }, CWD).issuer).toBe(issuer);
  });

  it('refuses a relative URL', () => {
    expectRefused({ ISSUER: '/idp' }, 'ISSUER', /absolute URL/);
    expectRefused({ ISSUER: 'sso.example.com' }, 'ISSUER', /absolute URL/);
  });

  it('refuses a query, even an empty one', () => {
    expectRefused({ ISSUER: 'https://sso.example.com/?tenant=a' }, 'ISSUER', /query/);
    expectRefused({ ISSUER: 'https://sso.example.com/?' }, 'ISSUER', /query/);
  });

  it('refuses a fragment, even an empty one', () => {
    expectRefused({ ISSUER: 'https://sso.example.com/#top' }, 'ISSUER', /fragment/);
    expectRefused({ ISSUER: 'https://sso.example.com/#' }, 'ISSUER', /fragment/);
  });

  it('refuses credentials', () => {
    expectRefused({ ISSUER: 'https://admin:secret@sso.example.com' }, 'ISSUER', /credentials/);
    expectRefused({ ISSUER: 'https://admin@sso.example.com' }, 'ISSUER', /credentials/);
  });

  it.each(['http://sso.example.com', 'http://10.0.0.1:3000', 'http://localhost.example.com'])('refuses http on the non-loopback host of %j', (issuer) => {
    expectRefused({ ISSUER: issuer }, 'ISSUER', /https/);
  });

  it.each(['ftp://sso.example.com', 'ws://localhost:3000', 'file:///etc/passwd'])('refuses the scheme of %j', (issuer) => {
    expectRefused({ ISSUER: issuer }, 'ISSUER', /must use https/);
  });
});

describe('DATABASE_URL, DATABASE_POOL_SIZE and KEY_ENCRYPTION_KEY', () => {
  const KEK = Buffer.alloc(32, 1).toString('base64');

  it('uses the embedded SQLite store when DATABASE_URL is unset', () => {
    expect(loadConfig({}, '/srv')).toMatchObject({ database: { engine: 'sqlite' }, keyEncryptionKey: null });
  });

  it('selects PostgreSQL for a postgres:// or postgresql:// URL, with a pool of 10 unless DATABASE_POOL_SIZE says otherwise', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/idp', KEY_ENCRYPTION_KEY: KEK }, '/srv').database).toEqual({ engine: 'postgres', url: 'postgres://u:p@db:5432/idp', poolSize: 10 });
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/idp', DATABASE_POOL_SIZE: '3', KEY_ENCRYPTION_KEY: KEK }, '/srv').database).toMatchObject({ engine: 'postgres', poolSize: 3 });
  });

  it('decodes KEY_ENCRYPTION_KEY to the 32 bytes of an AES-256 key', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db/idp', KEY_ENCRYPTION_KEY: KEK }, '/srv').keyEncryptionKey).toEqual(Buffer.alloc(32, 1));
  });

  it.each([
    ['another scheme', 'mysql://u:secret@db/idp', /must be a postgres:\/\/ URL/],
    ['something that is not a URL', 'not a url secret', /must be a URL/],
    ['no database name', 'postgres://u:secret@db:5432/', /must name a host and a database/],
  ])('refuses %s without echoing the URL, which may hold a password', (_name, url, pattern) => {
    const error = expectRefused({ DATABASE_URL: url, KEY_ENCRYPTION_KEY: KEK }, 'DATABASE_URL', pattern);
    expect(error.message).not.toContain('secret');
  });

  it('requires KEY_ENCRYPTION_KEY with PostgreSQL, saying how to make one', () => {
    expectRefused({ DATABASE_URL: 'postgres://db/idp' }, 'KEY_ENCRYPTION_KEY', /openssl rand -base64 32/);
  });

  it.each([
    ['16 bytes', Buffer.alloc(16, 1).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['text that is not base64', 'correct horse battery staple'],
  ])('refuses a KEY_ENCRYPTION_KEY of %s without echoing it', (_name, key) => {
    const error = expectRefused({ DATABASE_URL: 'postgres://db/idp', KEY_ENCRYPTION_KEY: key }, 'KEY_ENCRYPTION_KEY', /exactly 32 random bytes/);
    expect(error.message).not.toContain(key);
  });

  it('refuses a pool size outside 1 to 100', () => {
    expectRefused({ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE', /1 to 100/);
  });
});

describe('TLS_CERT_FILE and TLS_KEY_FILE', () => {
  it('refuses a certificate without a key, naming the missing key variable', () => {
    expectRefused({ TLS_CERT_FILE: 'cert.pem' }, 'TLS_KEY_FILE', /TLS_CERT_FILE/);
  });

  it('refuses a key without a certificate, naming the missing certificate variable', () => {
    expectRefused({ TLS_KEY_FILE: 'key.pem' }, 'TLS_CERT_FILE', /TLS_KEY_FILE/);
  });
});

describe('TRUST_PROXY (never trust X-Forwarded-For from anyone)', () => {
  it('refuses "true", which would let any client forge its address', () => {
    expectRefused({ TRUST_PROXY: 'true' }, 'TRUST_PROXY', /forge/);
  });

  it.each(['false', '0'])('reads %j as trusting no proxy', (value) => {
    expect(loadConfig({ TRUST_PROXY: value }, CWD).trustProxy).toBe(false);
  });

  it('accepts a hop count', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }, CWD).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10' }, CWD).trustProxy).toBe(10);
  });

  it('refuses a hop count above 10', () => {
    expectRefused({ TRUST_PROXY: '11' }, 'TRUST_PROXY');
  });

  it('accepts a list of named ranges, addresses and subnets', () => {
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }, CWD).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(loadConfig({ TRUST_PROXY: '192.0.2.7,fd00::/8,uniquelocal' }, CWD).trustProxy).toEqual(['192.0.2.7', 'fd00::/8', 'uniquelocal']);
  });

  it.each(['proxy.example.com', 'loopback, nonsense', '10.0.0.0/8/8', '10.0.0', 'loopback/8', '-1'])('refuses the bad entry in %j', (value) => {
    expectRefused({ TRUST_PROXY: value }, 'TRUST_PROXY', /bad entry|hop count/);
  });

  it.each(['10.0.0.0/33', '::1/129', '10.0.0.0/', '10.0.0.0/x'])('refuses the CIDR prefix of %j', (value) => {
    expectRefused({ TRUST_PROXY: value }, 'TRUST_PROXY', /bad entry/);
  });

  it('accepts the largest prefix each family allows', () => {
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1/32,::1/128' }, CWD).trustProxy).toEqual(['10.0.0.1/32', '::1/128']);
  });
});

describe('SQLITE_SYNCHRONOUS (durability of committed writes)', () => {
  it('accepts NORMAL', () => {
    expect(loadConfig({ SQLITE_SYNCHRONOUS: 'NORMAL' }, CWD).sqliteSynchronous).toBe('NORMAL');
  });

  it.each(['OFF', 'full', 'EXTRA'])('refuses %j', (value) => {
    expectRefused({ SQLITE_SYNCHRONOUS: value }, 'SQLITE_SYNCHRONOUS', /FULL, NORMAL/);
  });
});

describe('SIGNING_KEY_BITS (RFC 7518 §3.3: at least 2048)', () => {
  it.each([
    ['3072', 3072],
    ['4096', 4096],
  ])('accepts %s', (value, bits) => {
    expect(loadConfig({ SIGNING_KEY_BITS: value }, CWD).signingKeyBits).toBe(bits);
  });

  it.each(['1024', '2047', '8192', 'big'])('refuses %j', (value) => {
    expectRefused({ SIGNING_KEY_BITS: value }, 'SIGNING_KEY_BITS');
  });
});

describe('PASSWORD_MIN_LENGTH (NIST SP 800-63B: at least 8, at most the 64 every verifier must accept)', () => {
  it.each([
    ['8', 8],
    ['64', 64],
  ])('accepts %s', (value, length) => {
    expect(loadConfig({ PASSWORD_MIN_LENGTH: value }, CWD).passwordMinLength).toBe(length);
  });

  it.each(['7', '65', '0', 'twelve'])('refuses %j', (value) => {
    expectRefused({ PASSWORD_MIN_LENGTH: value }, 'PASSWORD_MIN_LENGTH', /from 8 to 64/);
  });
});

describe('lifetimes (whole seconds)', () => {
  it('accepts a positive whole number', () => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: '300', SESSION_IDLE_TTL: '900' }, CWD).lifetimes).toMatchObject({ accessToken: 300, sessionIdle: 900 });
  });

  it.each(['0', '-5', '1.5', '10m', '86401'])('refuses ACCESS_TOKEN_TTL=%s', (value) => {
    expectRefused({ ACCESS_TOKEN_TTL: value }, 'ACCESS_TOKEN_TTL', /whole number/);
  });

  it('caps an authorization code at ten minutes', () => {
    expect(loadConfig({ AUTHORIZATION_CODE_TTL: '600' }, CWD).lifetimes.authorizationCode).toBe(600);
    expectRefused({ AUTHORIZATION_CODE_TTL: '601' }, 'AUTHORIZATION_CODE_TTL');
  });

  it('caps a device code at an hour (RFC 8628 §3.2: a stray code soon dies)', () => {
    expect(loadConfig({ DEVICE_CODE_TTL: '3600' }, CWD).lifetimes.deviceCode).toBe(3600);
    expectRefused({ DEVICE_CODE_TTL: '3601' }, 'DEVICE_CODE_TTL');
  });

  it.each(['ID_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'REFRESH_TOKEN_IDLE_TTL', 'SESSION_TTL', 'SESSION_IDLE_TTL', 'DEVICE_CODE_TTL'])('refuses %s=0', (variable) => {
    expectRefused({ [variable]: '0' }, variable);
  });
});

describe('LOG_LEVEL', () => {
  it('accepts a pino level', () => {
    expect(loadConfig({ LOG_LEVEL: 'debug' }, CWD).logLevel).toBe('debug');
    expect(loadConfig({ LOG_LEVEL: 'silent' }, CWD).logLevel).toBe('silent');
  });

  it.each(['verbose', 'INFO'])('refuses %j', (value) => {
    expectRefused({ LOG_LEVEL: value }, 'LOG_LEVEL', /must be one of/);
  });
});

describe('SMTP_URL (outgoing mail relay; unset, mail goes to DATA_DIR/outbox/)', () => {
  it.each(['smtp://mail.example.com:587', 'smtps://gatehouse:s3cret@mail.example.com:465', 'smtp://127.0.0.1:2525?ignoreTLS=true'])('accepts %j as given', (url) => {
    expect(loadConfig({ SMTP_URL: url }, CWD).smtpUrl).toBe(url);
  });

  it.each([
    ['another scheme', 'https://user:secret@mail.example.com', /must be an smtp:\/\/ or smtps:\/\/ URL/],
    ['a URL without its scheme', 'gatehouse:secret@mail.example.com:587', /must be an smtp:\/\/ or smtps:\/\/ URL/],
    ['something that is not a URL', 'not a url secret', /must be a URL/],
    ['no host', 'smtp:///secret', /must name a host/],
  ])('refuses %s without echoing the URL, which may hold a password', (_name, url, pattern) => {
    const error = expectRefused({ SMTP_URL: url }, 'SMTP_URL', pattern);
    expect(error.message).not.toContain('secret');
    expect(error.message).not.toContain('gatehouse');
  });

  it('says how to fall back to the outbox', () => {
    expectRefused({ SMTP_URL: 'mailto:ops@example.com' }, 'SMTP_URL', /unset it to write mail to DATA_DIR\/outbox\//);
  });
});

describe('MAIL_FROM (the From of every mail)', () => {
  it('defaults to Gatehouse at the no-reply address of the issuer host', () => {
    expect(loadConfig({ ISSUER: 'https://sso.example.com:8443/idp' }, CWD).mailFrom).toBe('Gatehouse <no-reply@sso.example.com>');
  });

  it('writes an IP address issuer host as an RFC 5321 §4.1.3 address literal', () => {
    expect(loadConfig({ ISSUER: 'http://127.0.0.1:3000' }, CWD).mailFrom).toBe('Gatehouse <no-reply@[127.0.0.1]>');
    expect(loadConfig({ ISSUER: 'http://[::1]:3000' }, CWD).mailFrom).toBe('Gatehouse <no-reply@[IPv6:::1]>');
    // Issue 25: from the organisation's name when BRAND_NAME is set, quoted when it holds more than letters and spaces.
    expect(loadConfig({ ISSUER: 'https://sso.example.com', BRAND_NAME: 'Acme Login' }, CWD).mailFrom).toBe('Acme Login <no-reply@sso.example.com>');
    expect(loadConfig({ ISSUER: 'https://sso.example.com', BRAND_NAME: 'Acme, Inc. "SSO"' }, CWD).mailFrom).toBe('"Acme, Inc. \\"SSO\\"" <no-reply@sso.example.com>');
    expect(loadConfig({ ISSUER: 'https://sso.example.com', BRAND_NAME: 'Acme', MAIL_FROM: 'it@example.com' }, CWD).mailFrom).toBe('it@example.com');
  });

  it.each([
    'no-reply@example.com',
    'Example Sign-in <sso@example.com>',
    '"Example, Inc." <sso@example.com>',
    'J. Doe <j.doe+sso@mail.example.com>',
    'Zoë Ünïcode <zoe@example.com>',
    '<sso@example.com>',
  ])('accepts %j as given', (value) => {
    expect(loadConfig({ MAIL_FROM: value }, CWD).mailFrom).toBe(value);
  });

  it.each([
    ['a CR LF that would add a header', 'sso@example.com\r\nBcc: everyone@example.com'],
    ['a LF inside the display name', 'Sign-in\nBcc: x@example.com <sso@example.com>'],
    ['a C1 control character', 'Sign\u0085in <sso@example.com>'],
  ])('refuses %s (header injection), showing it escaped on one line', (_name, value) => {
    const error = expectRefused({ MAIL_FROM: value }, 'MAIL_FROM', /must be an address/);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it.each([
    'not an address',
    'sso@',
    '@example.com',
    'two words@example.com',
    'Example, Inc. <sso@example.com>',
    'Sign-in <sso@example.com',
    'a@example.com, b@example.com',
    'Sign-in <sso@-example.com>',
  ])('refuses %j', (value) => {
    expectRefused({ MAIL_FROM: value }, 'MAIL_FROM', /must be an address \(no-reply@example\.com\) or a name and an address/);
  });
});

describe('ALLOW_PRIVATE_CLIENT_URLS (back-channel logout receivers on private addresses: server-side request forgery)', () => {
  it.each(['http://localhost:3000', 'http://127.0.0.1:8080', 'https://127.9.9.9:3000', 'http://[::1]:3000/idp'])('allows them by default under the loopback issuer %j (development)', (issuer) => {
    expect(loadConfig({ ISSUER: issuer }, CWD).allowPrivateClientUrls).toBe(true);
  });

  it('allows them under the default issuer, which is loopback', () => {
    expect(loadConfig({}, CWD).allowPrivateClientUrls).toBe(true);
  });

  it.each(['https://sso.example.com', 'https://10.0.0.1', 'https://localhost.example.com', 'https://[fd00::1]'])('refuses them by default under the issuer %j', (issuer) => {
    expect(loadConfig({ ISSUER: issuer }, CWD).allowPrivateClientUrls).toBe(false);
  });

  it('true allows them under any issuer; false refuses them even under a loopback issuer', () => {
    expect(loadConfig({ ISSUER: 'https://sso.example.com', ALLOW_PRIVATE_CLIENT_URLS: 'true' }, CWD).allowPrivateClientUrls).toBe(true);
    expect(loadConfig({ ISSUER: 'http://127.0.0.1:3000', ALLOW_PRIVATE_CLIENT_URLS: 'false' }, CWD).allowPrivateClientUrls).toBe(false);
  });

  it('counts an empty value as unset', () => {
    expect(loadConfig({ ISSUER: 'https://sso.example.com', ALLOW_PRIVATE_CLIENT_URLS: ' ' }, CWD).allowPrivateClientUrls).toBe(false);
  });

  it.each(['yes', '1', 'TRUE', 'on'])('refuses %j: only true or false', (value) => {
    expectRefused({ ALLOW_PRIVATE_CLIENT_URLS: value }, 'ALLOW_PRIVATE_CLIENT_URLS', /must be one of true, false/);
  });
});
