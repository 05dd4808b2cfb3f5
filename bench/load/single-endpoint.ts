// One endpoint under autocannon (50 connections): requests per second, every answer required to be a 200.
import autocannon from 'autocannon';

export async function requestsPerSecond(url: string, durationS: number, connections = 50): Promise<number> {
  const result = await autocannon({ url, connections, duration: durationS, pipelining: 1 });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  return result.requests.average;
}
