// The "metrics" profile of docker-compose.yml (issue 26): Prometheus and Grafana beside the single node, read as
// Compose would read them (no Docker here), and the files they mount. The dashboard and the alerts may name only
// metrics Gatehouse exports, and show every one of ours. Then a real Prometheus (/usr/bin/prometheus, Debian
// package prometheus) runs deploy/prometheus.yml and its alert rules against a Gatehouse app on loopback, scrapes
// it with the bearer token, and answers every dashboard query.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { ownRegistry, processRegistry } from '../../src/metrics/exposition.js';
import { packageRoot } from '../../src/paths.js';
import { freePort } from '../helpers/processes.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Service {
  image?: string;
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  secrets?: string[];
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
}

const read = (file: string) => readFileSync(path.join(packageRoot, file), 'utf8');
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; secrets?: Record<string, { environment?: string; file?: string }> };
const service = (name: string): Service => compose.services[name] ?? expect.fail(`docker-compose.yml has no service ${name}`);
/** A service's read-only bind mounts of repository files: container path → repository path. */
function mounts(name: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const volume of service(name).volumes ?? []) {
    const [source = '', target = '', mode] = volume.split(':');
    if (source.startsWith('./')) {
      expect(mode, volume).toBe('ro');
      found.set(target, source.slice(2));
    }
  }
  return found;
}

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
}
const dashboard = JSON.parse(read('deploy/grafana/gatehouse-dashboard.json')) as { uid: string; panels: Panel[] };
const queries = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((target) => target.expr);
const prometheusConfig = parse(read('deploy/prometheus.yml')) as {
  rule_files: string[];
  scrape_configs: { job_name: string; metrics_path: string; authorization: { type: string; credentials_file: string }; static_configs: { targets: string[] }[] }[];
};
const alerts = parse(read('deploy/prometheus-alerts.yml')) as { groups: { rules: { alert: string; expr: string }[] }[] };
const alertExpressions = alerts.groups.flatMap((group) => group.rules.map((rule) => rule.expr));

/** What a scrape can hold: our metrics and the key gauges (histograms as their series), and the process metrics. */
async function exportedSeries(): Promise<{ ours: string[]; all: Set<string> }> {
  const keyRing = { schedule: { at: 0, keys: [], signingKey: null, published: [], nextChangeAt: Infinity } };
  const own = ownRegistry(keyRing, { now: () => 0 }).getMetricsAsArray();
  const processes = (await processRegistry()).getMetricsAsArray();
  const series = (metric: { name: string; type: unknown }) => (String(metric.type) === 'histogram' ? ['_bucket', '_count', '_sum'].map((suffix) => metric.name + suffix) : [metric.name]);
  return { ours: own.map((metric) => metric.name), all: new Set([...own, ...processes].flatMap(series)) };
}
const namesIn = (expression: string) => [...expression.matchAll(/\b(gatehouse_\w+)/g)].map((match) => match[1] ?? '');

describe('the metrics profile in docker-compose.yml', () => {
  it('is Prometheus and Grafana alone, on pinned images, published on the host loopback only', () => {
    const names = Object.keys(compose.services).filter((name) => compose.services[name]?.profiles?.includes('metrics'));
    expect(names.sort()).toEqual(['grafana', 'prometheus']);
    for (const name of names) {
      expect(service(name).image, name).toMatch(/:v?\d+\.\d+\.\d+$/);
      expect(service(name).ports?.length, name).toBeGreaterThan(0);
      for (const port of service(name).ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('passes METRICS_TOKEN from .env to every node, and metrics stay off without it', () => {
    const token = randomBytes(32).toString('hex');
    for (const name of ['gatehouse', 'gatehouse-a', 'gatehouse-b']) {
      const environment = service(name).environment ?? {};
      expect(environment.METRICS_TOKEN, name).toBe('${METRICS_TOKEN:-}');
      const base = { POSTGRES_PASSWORD: 'a0b1c2', KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
      const resolve = (vars: Record<string, string>) =>
        Object.fromEntries(
          Object.entries(environment).map(([key, value]) => [key, value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, variable: string, fallback?: string) => vars[variable] || (fallback ?? ''))]),
        );
      expect(loadConfig(resolve({ ...base, METRICS_TOKEN: token }), '/app').metrics.token, name).toBe(token);
      expect(loadConfig(resolve(base), '/app').metrics.token, name).toBeNull();
    }
  });

  it("hands Prometheus the token as a secret file that its scrape reads, and scrapes the node's port", () => {
    expect(compose.secrets?.metrics_token).toEqual({ environment: 'METRICS_TOKEN' });
    expect(service('prometheus').secrets).toEqual(['metrics_token']);
    expect(service('grafana').secrets).toBeUndefined();
    const [job] = prometheusConfig.scrape_configs;
    expect(job?.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/metrics_token' });
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs.flatMap((config) => config.targets)).toEqual([`gatehouse:${service('gatehouse').environment?.PORT}`]);
  });

  it('mounts the repository files read-only where the configurations look for them', () => {
    const prometheus = mounts('prometheus');
    const config =
      service('prometheus')
        .command?.find((flag) => flag.startsWith('--config.file='))
        ?.split('=')[1] ?? '';
    expect(prometheus.get(config)).toBe('deploy/prometheus.yml');
    for (const rules of prometheusConfig.rule_files) expect(prometheus.get(rules), rules).toBe('deploy/prometheus-alerts.yml');
    const grafana = mounts('grafana');
    expect(grafana.get('/etc/grafana/provisioning')).toBe('deploy/grafana/provisioning');
    const provider = parse(read('deploy/grafana/provisioning/dashboards/gatehouse.yml')) as { providers: { options: { path: string } }[] };
    const dashboardDir = provider.providers[0]?.options.path ?? '';
    expect(grafana.get(`${dashboardDir}/gatehouse-dashboard.json`)).toBe('deploy/grafana/gatehouse-dashboard.json');
    for (const file of [...prometheus.values(), ...grafana.values()]) expect(existsSync(path.join(packageRoot, file)), file).toBe(true);
  });

  it("points Grafana's data source at the prometheus service, under the uid every dashboard query names", () => {
    const sources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; type: string; url: string }[] };
    const [source] = sources.datasources;
    expect(source).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    expect(service('grafana').depends_on).toEqual(['prometheus']);
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe(source?.uid);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe(source?.uid);
    }
  });
});

describe('the dashboard and the alerts', () => {
  it('name only metrics Gatehouse exports, and the dashboard shows every metric of ours', async () => {
    const { ours, all } = await exportedSeries();
    const named = [...queries, ...alertExpressions].flatMap(namesIn);
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((name) => !all.has(name))).toEqual([]);
    const shown = new Set(queries.flatMap(namesIn).map((name) => name.replace(/_(bucket|count|sum)$/, '')));
    expect(ours.filter((name) => !shown.has(name))).toEqual([]);
  });
});

describe('a real Prometheus on deploy/prometheus.yml', () => {
  const TOKEN = randomBytes(32).toString('hex');
  let app: RunningApp;
  let prometheus: ChildProcess;
  let output = '';
  let api: string;
  const { dir, remove } = tempDir();

  async function query(expression: string): Promise<{ status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } }> {
    const response = await fetch(`${api}/api/v1/query?${new URLSearchParams({ query: expression }).toString()}`);
    return (await response.json()) as { status: string };
  }

  beforeAll(async () => {
    app = await startApp({ env: { METRICS_TOKEN: TOKEN } });
    const tokenFile = path.join(dir, 'metrics_token');
    writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    // The repository's configuration, with only what a container would have elsewhere changed: the secret's path,
    // the rule file's, the target's address, and a short interval.
    const [job] = prometheusConfig.scrape_configs;
    if (!job) throw new Error('no scrape job');
    const config = {
      ...prometheusConfig,
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [path.join(packageRoot, 'deploy/prometheus-alerts.yml')],
      scrape_configs: [{ ...job, authorization: { ...job.authorization, credentials_file: tokenFile }, static_configs: [{ targets: [new URL(app.url).host] }] }],
    };
    writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      '/usr/bin/prometheus',
      [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    prometheus.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    prometheus.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Bounded: ready, then a first scrape with our series in it (1 s interval); at most about 30 s.
    for (let attempt = 0; attempt < 150; attempt++) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited ${prometheus.exitCode}: ${output}`);
      const up = await query('up{job="gatehouse"}').catch(() => null);
      if (up?.data?.result[0]?.value[1] === '1' && ((await query('gatehouse_process_cpu_seconds_total')).data?.result.length ?? 0) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`prometheus never scraped the app: ${output}`);
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await app?.stop();
    remove();
  });

  it('scrapes the app with the bearer token from the credentials file, and loads the alert rules', async () => {
    const up = await query('up{job="gatehouse"}');
    expect(up.data?.result.map((sample) => sample.value[1])).toEqual(['1']);
    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((group) => group.rules);
    expect(loaded.map((rule) => rule.name).sort()).toEqual(alerts.groups.flatMap((group) => group.rules.map((rule) => rule.alert)).sort());
  });

  it('answers every dashboard query without an error, and the ones on always-present series with data', async () => {
    for (const expression of queries) {
      const answer = await query(expression.replaceAll('$__rate_interval', '1m'));
      expect(answer.status, `${expression}: ${answer.error ?? ''}`).toBe('success');
    }
    for (const expression of ['max(gatehouse_signing_key_oldest_published_age_seconds)', 'sum(gatehouse_password_hash_queue_depth)', 'gatehouse_process_resident_memory_bytes']) {
      expect((await query(expression)).data?.result.length, expression).toBe(1);
    }
  });
});
