// docker-compose.yml read as Compose would read it: the single node by default, the cluster profile on demand.
// No Docker here: the file is parsed, its variables interpolated, and each node's environment fed to loadConfig.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { packageRoot } from '../../src/paths.js';

interface Service {
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
      smtpUrl: 'smtp://mail:587', mailFrom: 'IdP <idp@example.com>',
    });
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
