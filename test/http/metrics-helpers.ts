// Reading GET /metrics in the HTTP tests: one scrape with the bearer token, parsed into `name{labels}` → value,
// the labels in the order prom-client writes them (the order of their labelNames).
import { expect } from 'vitest';

export type Samples = Map<string, number>;

/** A Prometheus text exposition's samples (comments skipped). */
export function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The value of one series; 0 when it is not there yet (a counter not yet incremented). */
export const valueOf = (samples: Samples, series: string): number => samples.get(series) ?? 0;

/** GET `url` with the token; the answer must be the Prometheus text format, uncacheable. */
export async function scrape(url: string, token: string): Promise<{ text: string; samples: Samples }> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  return { text, samples: parseSamples(text) };
}
