// The benchmark harness itself (not the benchmark: `npm run bench`): both servers start as the bench starts
// them, and the flow driver completes each flow on each, verifying what it gets; the report renders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAgent, VirtualUser } from '../../bench/load/http-client.js';
import { prepareFlows, refreshFlow, signInFlow, ssoFlow } from '../../bench/load/flows.js';
import { chart, markdown, type Comparison } from '../../bench/report.js';
import { startGatehouse } from '../../bench/servers/gatehouse.js';
import { startOidcProvider } from '../../bench/servers/oidc-provider.js';
import type { Target } from '../../bench/target.js';

describe('the benchmark harness', () => {
  const targets: Target[] = [];

  beforeAll(async () => {
    targets.push(await startGatehouse(), await startOidcProvider());
  }, 60_000);
  afterAll(async () => {
    for (const target of targets) await target.stop();
    closeAgent();
  });

  it('starts Gatehouse and oidc-provider, each serving discovery after a measured cold start', () => {
    expect(targets.map((t) => t.name)).toEqual(['gatehouse', 'oidc-provider']);
    for (const target of targets) {
      expect(target.coldStartMs).toBeGreaterThan(0);
      expect(target.process.exitCode).toBeNull();
    }
  });

  for (const index of [0, 1]) {
    it(`drives a sign-in, a single sign-on and two rotating refreshes on ${index === 0 ? 'Gatehouse' : 'oidc-provider'}, verifying every ID token`, async () => {
      const target = targets[index];
      if (!target) throw new Error('not started');
      const ctx = await prepareFlows(target);
      const vu = new VirtualUser();
      const first = await signInFlow(vu, ctx);
      expect(first.refreshToken).toEqual(expect.any(String));
      const again = await ssoFlow(vu, ctx);
      expect(again.idToken.split('.')).toHaveLength(3);
      const rotated = await refreshFlow(vu, ctx, first.refreshToken ?? '');
      expect(rotated).not.toBe(first.refreshToken);
      expect(await refreshFlow(vu, ctx, rotated)).not.toBe(rotated);
      // A stranger with no session is shown the login form, not a code.
      await expect(ssoFlow(new VirtualUser(), ctx)).rejects.toThrow(/expected a redirect to the client, got 200/);
    });
  }

  it('reports medians and ratios, marking missed targets, and draws one bar per ratio', () => {
    const comparisons: Comparison[] = [
      { id: 'a', label: 'Discovery', unit: 'req/s', higherIsBetter: true, runs: { gatehouse: [30, 10, 20], peer: [10, 10, 10] }, target: { op: '>=', ratio: 2 }, peerName: 'peer' },
      { id: 'b', label: 'Cold <start>', unit: 'ms', higherIsBetter: false, runs: { gatehouse: [90, 100, 110], peer: [100, 100, 100] }, target: { op: '<=', ratio: 0.75 }, peerName: 'peer' },
    ];
    const text = markdown({ comparisons, ceilings: [], settings: 'test', startedAt: new Date(0), seconds: 1 });
    expect(text).toContain('| Discovery | 20.0 req/s | 10.0 req/s (peer) | 2.00× | ≥ 2× ✅ met |');
    expect(text).toContain('| Cold <start> | 100 ms | 100 ms (peer) | 1.00× | ≤ 0.75× ❌ missed |');
    const svg = chart(comparisons);
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain('Cold &lt;start&gt;');
  });
});
