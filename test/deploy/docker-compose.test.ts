// docker-compose.yml read as Compose would read it: the single node by default, the cluster and example profiles on
// demand. No Docker here: the file is parsed, its variables interpolated, and each node's environment fed to loadConfig.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { packageRoot } from '../../src/paths.js';

interface Service {
  build?: string | { context?: string };
  network_mode?: string;
  profiles?: string[];
  image?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync(path.join(packageRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const services = compose.services;
const clusterNames = Object.keys(services).filter((name) => services[name]?.profiles?.includes('cluster'));
const nodeNames = ['gatehouse-a', 'gatehouse-b'];
const service = (name: string): Service => services[name] ?? expect.fail(`docker-compose.yml has no service ${name}`);

/** Compose's `${VAR}` and `${VAR:-default}`, with `.env` given as `vars`. */
function interpolate(environment: Record<string, string> = {}, vars: Record<string, string> = {}): Record<string, string> {
  const resolve = (value: string) => value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => vars[name] || (fallback ?? ''));
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, resolve(String(value))]));
}

const dotEnv = { POSTGRES_PASSWORD: 'a0b1c2d3e4f5', KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

describe('the single node', () => {
  it('is the only service that `docker compose up` starts', () => {
    expect(Object.keys(services).filter((name) => !services[name]?.profiles)).toEqual(['gatehouse']);
  });

  it('keeps SQLite: it has no DATABASE_URL and starts on the defaults', () => {
    const environment = service('gatehouse').environment ?? {};
    expect(environment).not.toHaveProperty('DATABASE_URL');
    expect(loadConfig(interpolate(environment), '/app').database.engine).toBe('sqlite');
    // Mail goes to the outbox on the data volume unless SMTP_URL is given.
    expect(loadConfig(interpolate(environment), '/app')).toMatchObject({ smtpUrl: null, mailFrom: 'Gatehouse <no-reply@localhost>' });
    expect(loadConfig(interpolate(environment, { SMTP_URL: 'smtp://mail:587', MAIL_FROM: 'IdP <idp@example.com>' }), '/app')).toMatchObject({
      smtpUrl: 'smtp://mail:587',
      mailFrom: 'IdP <idp@example.com>',
    });
  });

  it('passes the language and the brand from .env (issue 25), and starts without them', () => {
    const environment = service('gatehouse').environment ?? {};
    expect(loadConfig(interpolate(environment), '/app')).toMatchObject({ defaultLocale: 'en', brand: { name: null, color: null, logo: null } });
    const vars = { DEFAULT_LOCALE: 'de', BRAND_NAME: 'Acme Login', BRAND_COLOR: '#0B5FFF', BRAND_LOGO: 'https://cdn.example.com/acme.png' };
    expect(loadConfig(interpolate(environment, vars), '/app')).toMatchObject({
      defaultLocale: 'de',
      brand: { name: 'Acme Login', color: '#0b5fff', logo: { kind: 'url', url: 'https://cdn.example.com/acme.png' } },
      mailFrom: 'Acme Login <no-reply@localhost>',
    });
    expect(loadConfig(interpolate(service('gatehouse-a').environment, { ...dotEnv, ...vars }), '/app')).toMatchObject({ defaultLocale: 'de', brand: { name: 'Acme Login' } });
  });
});

/** Whether a node of this environment accepts and delivers to back-channel logout URIs on private addresses. */
const allowsPrivateClientUrls = (environment: Record<string, string> | undefined, vars: Record<string, string> = {}) => loadConfig(interpolate(environment, vars), '/app').allowPrivateClientUrls;

describe('the single node and ALLOW_PRIVATE_CLIENT_URLS', () => {
  const environment = () => service('gatehouse').environment;

  it('passes the variable through from .env', () => {
    expect(environment()?.ALLOW_PRIVATE_CLIENT_URLS).toMatch(/^\$\{ALLOW_PRIVATE_CLIENT_URLS(:-)?\}$/);
  });

  it("accepts the example app's loopback back-channel logout URI under the default loopback issuer", () => {
    const header = readFileSync(path.join(packageRoot, 'docker-compose.yml'), 'utf8');
    const registered = /--backchannel-logout-uri (\S+)/.exec(header)?.[1] ?? '';
    expect(new URL(registered).hostname).toBe('127.0.0.1');
    expect(allowsPrivateClientUrls(environment())).toBe(true);
  });

  it('refuses private addresses under a public issuer unless ALLOW_PRIVATE_CLIENT_URLS=true, and always with false', () => {
    const issuer = { ISSUER: 'https://idp.example.com' };
    expect(allowsPrivateClientUrls(environment(), issuer)).toBe(false);
    expect(allowsPrivateClientUrls(environment(), { ...issuer, ALLOW_PRIVATE_CLIENT_URLS: 'true' })).toBe(true);
    expect(allowsPrivateClientUrls(environment(), { ALLOW_PRIVATE_CLIENT_URLS: 'false' })).toBe(false);
  });
});

describe('the cluster profile', () => {
  it('is PostgreSQL, two Gatehouse nodes and a proxy', () => {
    expect(clusterNames.sort()).toEqual(['gatehouse-a', 'gatehouse-b', 'postgres', 'proxy']);
    expect(service('postgres').image).toMatch(/^postgres:15[.-]/);
  });

  it('gives both nodes the same environment, so the same issuer and the same database', () => {
    expect(service('gatehouse-b').environment).toEqual(service('gatehouse-a').environment);
  });

  it('points each node at the postgres service and accepts its configuration once .env is filled in', () => {
    for (const name of nodeNames) {
      const config = loadConfig(interpolate(service(name).environment, dotEnv), '/app');
      expect(config.issuer).toBe('http://localhost:8080');
      expect(config.database.engine).toBe('postgres');
      const url = new URL(config.database.engine === 'postgres' ? config.database.url : '');
      expect(url.hostname).toBe('postgres');
      expect(url.password).toBe(dotEnv.POSTGRES_PASSWORD);
      expect(config.trustProxy).not.toBe(false);
    }
  });

  it('takes the key encryption key from the environment and refuses to start without it', () => {
    for (const name of nodeNames) {
      expect(service(name).environment?.KEY_ENCRYPTION_KEY).toMatch(/^\$\{KEY_ENCRYPTION_KEY(:-)?\}$/);
      const environment = interpolate(service(name).environment, { POSTGRES_PASSWORD: dotEnv.POSTGRES_PASSWORD });
      expect(() => loadConfig(environment, '/app')).toThrow(ConfigError);
    }
  });

  it('allows private back-channel logout URIs under the default loopback CLUSTER_ISSUER only, unless .env says ALLOW_PRIVATE_CLIENT_URLS=true', () => {
    for (const name of nodeNames) {
      expect(service(name).environment?.ALLOW_PRIVATE_CLIENT_URLS).toMatch(/^\$\{ALLOW_PRIVATE_CLIENT_URLS(:-)?\}$/);
      expect(allowsPrivateClientUrls(service(name).environment, dotEnv)).toBe(true);
      const publicIssuer = { ...dotEnv, CLUSTER_ISSUER: 'https://idp.example.com' };
      expect(allowsPrivateClientUrls(service(name).environment, publicIssuer)).toBe(false);
      expect(allowsPrivateClientUrls(service(name).environment, { ...publicIssuer, ALLOW_PRIVATE_CLIENT_URLS: 'true' })).toBe(true);
    }
  });

  it('never trusts every proxy', () => {
    for (const name of nodeNames) expect(service(name).environment?.TRUST_PROXY).not.toBe('true');
  });

  it('starts the nodes only on a healthy database, and the proxy only on healthy nodes', () => {
    for (const name of nodeNames) expect(service(name).depends_on?.postgres?.condition).toBe('service_healthy');
    for (const name of nodeNames) expect(service('proxy').depends_on?.[name]?.condition).toBe('service_healthy');
    for (const name of [...nodeNames, 'postgres']) expect(service(name).healthcheck?.test.length).toBeGreaterThan(0);
  });

  it('publishes ports from the proxy alone', () => {
    expect(clusterNames.filter((name) => service(name).ports?.length)).toEqual(['proxy']);
  });
});

describe("the proxy's nginx.conf", () => {
  const mount = (service('proxy').volumes ?? []).find((volume) => volume.includes(':/etc/nginx/'));
  const file = path.resolve(packageRoot, mount?.split(':')[0] ?? '');
  const conf = existsSync(file) ? readFileSync(file, 'utf8').replace(/#.*$/gm, '') : '';

  it('is a file in the repository, mounted read-only', () => {
    expect(mount).toMatch(/:ro$/);
    expect(existsSync(file) && file.startsWith(packageRoot)).toBe(true);
  });

  it('balances over exactly the two nodes on port 3000', () => {
    const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(conf);
    expect(conf).toContain(`proxy_pass http://${upstream?.[1]};`);
    const servers = [...(upstream?.[2] ?? '').matchAll(/^\s*server\s+(\S+?)[\s;]/gm)].map((match) => match[1]);
    expect(servers).toEqual(nodeNames.map((name) => `${name}:3000`));
  });

  it('moves to the other node only on connection errors, never resending a request a node received', () => {
    expect(conf).toMatch(/proxy_next_upstream\s+error\s+timeout;/);
    expect(conf).not.toContain('non_idempotent');
  });
});

describe('the example profile', () => {
  const example = () => service('example-app');
  const build = service('example-app').build;
  const context = typeof build === 'string' ? build : build?.context;
  const exampleDir = path.resolve(packageRoot, context ?? '');

  it('is example app 1 alone, built from its own folder', () => {
    expect(Object.keys(services).filter((name) => services[name]?.profiles?.includes('example'))).toEqual(['example-app']);
    expect(context).toBe('./examples/express-app');
    expect(existsSync(path.join(exampleDir, 'Dockerfile'))).toBe(true);
    expect(example().image).toBe('gatehouse-example-app:latest');
  });

  it("lives in gatehouse's network namespace, so gatehouse publishes the example's port", () => {
    expect(example().network_mode).toBe('service:gatehouse');
    // Compose refuses ports on a service that borrows another's network.
    expect(example().ports).toBeUndefined();
    const port = example().environment?.PORT;
    expect(port).toBe('3001');
    expect(service('gatehouse').ports).toContain(`${port}:${port}`);
  });

  it('sets exactly the variables the example reads', () => {
    const sources = readdirSync(exampleDir)
      .filter((file) => file.endsWith('.js'))
      .map((file) => readFileSync(path.join(exampleDir, file), 'utf8'));
    const read = new Set(sources.flatMap((source) => [...source.matchAll(/process\.env\.(\w+)/g)].map((match) => match[1])));
    expect(Object.keys(example().environment ?? {}).sort()).toEqual([...read].sort());
  });

  it("uses gatehouse's issuer, on another host than its own BASE_URL so that the browser keeps the cookies apart", () => {
    for (const vars of [{}, { ISSUER: 'https://idp.example.com' }] as Record<string, string>[]) {
      const environment = interpolate(example().environment, vars);
      expect(environment.ISSUER).toBe(interpolate(service('gatehouse').environment, vars).ISSUER);
      const baseUrl = new URL(environment.BASE_URL ?? '');
      expect(baseUrl.hostname).not.toBe(new URL(environment.ISSUER ?? '').hostname);
      expect(baseUrl.port).toBe(environment.PORT);
    }
  });

  it('takes its client and session secret from .env and starts once gatehouse is healthy', () => {
    const vars = { EXAMPLE_CLIENT_ID: 'client-1', EXAMPLE_CLIENT_SECRET: 'secret-1', EXAMPLE_SESSION_SECRET: 'f'.repeat(64) };
    expect(interpolate(example().environment, vars)).toMatchObject({ CLIENT_ID: 'client-1', CLIENT_SECRET: 'secret-1', SESSION_SECRET: 'f'.repeat(64) });
    expect(example().depends_on?.gatehouse?.condition).toBe('service_healthy');
  });
});

describe("the example's image and packages", () => {
  const exampleDir = path.join(packageRoot, 'examples', 'express-app');
  const read = (file: string) => readFileSync(path.join(exampleDir, file), 'utf8');
  const dockerfile = read('Dockerfile').replace(/^\s*#.*$/gm, '');

  it('installs from its lock without dev packages, copies every module, runs as a non-root user and has a health check', () => {
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev$/m);
    const copied = [...dockerfile.matchAll(/^COPY\s+(.+)$/gm)].flatMap((match) => match[1]?.split(/\s+/).slice(0, -1) ?? []);
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', ...readdirSync(exampleDir).filter((file) => file.endsWith('.js'))]));
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((match) => match[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
    expect(dockerfile).toMatch(/^HEALTHCHECK\s.*\bCMD\s/m);
  });

  it("pins the root package.json's exact versions, and its lock records the same", () => {
    type Manifest = { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
    const root = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as Manifest;
    const manifest = JSON.parse(read('package.json')) as Manifest;
    const lock = JSON.parse(read('package-lock.json')) as { packages?: Record<string, { version?: string; dependencies?: Record<string, string> }> };
    const dependencies = Object.entries(manifest.dependencies ?? {});
    expect(dependencies.length).toBeGreaterThan(0);
    expect(manifest.devDependencies).toBeUndefined();
    for (const [name, version] of dependencies) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(version, name).toBe(root.dependencies?.[name] ?? root.devDependencies?.[name]);
      expect(lock.packages?.[`node_modules/${name}`]?.version, name).toBe(version);
    }
    expect(lock.packages?.['']?.dependencies).toEqual(manifest.dependencies);
  });
});
