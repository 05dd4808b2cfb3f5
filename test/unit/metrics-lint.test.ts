// Prometheus's own checker on what we serve (issue 26): `promtool check metrics` (Debian package prometheus,
// .ci/run installs it) must find nothing to say about our registry and the key gauges, every metric holding a
// series. prom-client's process metrics are left out: promtool objects to three of its gauges' names
// (gatehouse_nodejs_active_handles_total and the like end in _total), which are prom-client's to fix, not ours.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ownRegistry } from '../../src/metrics/exposition.js';
import { metrics } from '../../src/metrics/metrics.js';
import { computeSchedule } from '../../src/signing/key-schedule.js';
import type { KeyFacts } from '../../src/signing/key-schedule.js';

const PROMTOOL = '/usr/bin/promtool';
const NOW = Date.parse('2025-06-01T12:00:00Z');
const HOUR = 3_600_000;

function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A key set with an active key and a pending one, so that both key gauges hold a value. */
function keysWithPending(): { schedule: ReturnType<typeof computeSchedule<KeyFacts>> } {
  const keys: KeyFacts[] = [
    { kid: 'pending', createdAt: NOW - HOUR, activatedAt: NOW + 2 * HOUR, retiredAt: null, revokedAt: null },
    { kid: 'active', createdAt: NOW - 240 * HOUR, activatedAt: NOW - 240 * HOUR, retiredAt: null, revokedAt: null },
  ];
  return { schedule: computeSchedule(keys, NOW, 24 * HOUR) };
}

describe('promtool check metrics', () => {
  it('finds nothing wrong with every metric of ours, each with a series', async () => {
    metrics.httpRequest('token', 'POST', 200, 0.012);
    metrics.signIn('passkey', 'success');
    metrics.tokensIssued('urn:ietf:params:oauth:grant-type:device_code');
    metrics.refreshTokenReuse();
    metrics.throttled('signin');
    metrics.deliveryAttempt('webhook', 'retry');
    metrics.storeOperation('users.findByEmail', 0.0003);
    metrics.passwordHashQueued().started()();
    metrics.signingStarted()();
    const text = await ownRegistry(keysWithPending(), { now: () => NOW }).metrics();
    // Every metric has a sample, so that promtool judges the series too, not only the HELP and TYPE lines.
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] ?? '');
    expect(names.sort()).toEqual([
      'gatehouse_deliveries_total',
      'gatehouse_http_request_duration_seconds',
      'gatehouse_http_requests_total',
      'gatehouse_password_hash_queue_depth',
      'gatehouse_password_hash_wait_seconds',
      'gatehouse_password_hashes_running',
      'gatehouse_refresh_token_reuse_detected_total',
      'gatehouse_sign_ins_total',
      'gatehouse_signing_duration_seconds',
      'gatehouse_signing_in_flight',
      'gatehouse_signing_key_next_activation_seconds',
      'gatehouse_signing_key_oldest_published_age_seconds',
      'gatehouse_store_operation_duration_seconds',
      'gatehouse_throttled_requests_total',
      'gatehouse_tokens_issued_total',
    ]);
    for (const name of names) expect(text, name).toMatch(new RegExp(`^${name}(_count|_bucket|_sum)?[ {]`, 'm'));
    expect(text).toContain('gatehouse_tokens_issued_total{grant="device_code"} 1');
    expect(promtool(text)).toEqual({ status: 0, output: '' });
  });

  it('is a real check: it refuses a gauge named like a counter', () => {
    const { status, output } = promtool('# HELP gatehouse_things_total Things.\n# TYPE gatehouse_things_total gauge\ngatehouse_things_total 1\n');
    expect(status).not.toBe(0);
    expect(output).toContain('non-counter metrics should not have "_total" suffix');
  });
});
