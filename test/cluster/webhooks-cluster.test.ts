// Webhooks from a cluster (issue 26): two Gatehouse processes (`npm start`) on one PostgreSQL schema, each with its
// own delivery queue polling the shared deliveries table, and one receiver on loopback that refuses the first
// requests and then accepts. Audit events are produced on both nodes. Every event must be accepted by the receiver
// exactly once (one 2xx per webhook-id), each request signed for the endpoint's secret (verified with the
// `standardwebhooks` package), and every request the receiver saw must be an attempt one node recorded: no delivery
// is sent by two nodes at once.
import path from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresSchema, TEST_DATABASE_URL, TEST_KEY_ENCRYPTION_KEY, type TestSchema } from '../helpers/postgres.js';
import { freePort, runIdp, spawnServer, waitUntilServing, type ServerProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/** Events produced on each node. */
const EVENTS_PER_NODE = 6;
/** Requests the receiver refuses before it accepts any. */
const REFUSED_FIRST = 5;

describe.skipIf(!TEST_DATABASE_URL)('webhooks from two Gatehouse nodes on one PostgreSQL database', () => {
  let schema: TestSchema;
  let receiver: WebhookReceiver;
  let nodes: { url: string; process: ServerProcess }[] = [];
  let env: Record<string, string>;
  let secret = '';
  let removeDir: () => void = () => undefined;

  async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    const connection = new pg.Client({ connectionString: schema.url });
    await connection.connect();
    try {
      return (await connection.query(text, params)).rows as T[];
    } finally {
      await connection.end();
    }
  }

  beforeAll(async () => {
    schema = await freshPostgresSchema(TEST_DATABASE_URL ?? '');
    receiver = await WebhookReceiver.start();
    const dir = tempDir();
    removeDir = dir.remove;
    const ports = [await freePort(), await freePort()];
    env = {
      // One issuer for both (behind a balancer in production); each node listens on its own port.
      ISSUER: `http://127.0.0.1:${ports[0]}`,
      HOST: '127.0.0.1',
      DATABASE_URL: schema.url,
      DATABASE_POOL_SIZE: '4',
      KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      DATA_DIR: path.join(dir.dir, 'data'),
      KEYS_DIR: path.join(dir.dir, 'keys'),
      // Retries after 1 s, 2 s, 4 s …; each queue polls every second.
      DELIVERY_RETRY_BASE: '1',
      DELIVERY_MAX_ATTEMPTS: '10',
    };
    nodes = ports.map((port) => ({ url: `http://127.0.0.1:${port}`, process: spawnServer({ ...env, PORT: String(port) }) }));
    await Promise.all(nodes.map((node) => waitUntilServing(`${node.url}/.well-known/openid-configuration`, node.process, 300)));
    const created = await runIdp(['webhook', 'create', '--url', receiver.url, '--event', 'client_auth.*', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    secret = (JSON.parse(created.stdout) as { secret: string }).secret;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.process.stop()));
    await receiver?.stop();
    await schema?.drop();
    removeDir();
  });

  it('delivers every event produced on either node exactly once, signed, through a receiver that fails at first', async () => {
    for (let i = 0; i < REFUSED_FIRST; i++) receiver.answerNext({ status: 503 });
    // A failed client authentication is audited (client_auth.failed) by the node that answered it.
    for (let i = 0; i < EVENTS_PER_NODE; i++) {
      for (const node of nodes) {
        const response = await fetch(`${node.url}/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`no-such-client-${i}:wrong`).toString('base64')}` },
          body: 'grant_type=client_credentials',
        });
        expect(response.status).toBe(401);
      }
    }
    const total = EVENTS_PER_NODE * nodes.length;
    const events = await sql<{ id: number }>("SELECT id FROM audit_events WHERE type = 'client_auth.failed'");
    expect(events).toHaveLength(total);

    // Bounded wait (60 s: the retries take a few seconds) until every delivery is settled.
    let settled: { id: string; state: string; attempts: number }[] = [];
    for (let i = 0; i < 600; i++) {
      settled = await sql("SELECT id, state, attempts FROM deliveries WHERE kind = 'webhook'");
      if (settled.length === total && settled.every((row) => row.state !== 'pending')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(settled.map((row) => row.state)).toEqual(Array.from({ length: total }, () => 'delivered'));

    // Each event once, accepted once; the refused requests were retries of the same deliveries.
    const accepted = receiver.accepted();
    const ids = accepted.map((request) => request.headers['webhook-id']);
    expect(ids).toHaveLength(total);
    expect(new Set(ids)).toEqual(new Set(settled.map((row) => row.id)));
    const eventIds = accepted.map((request) => (new Webhook(secret).verify(request.body, request.headers) as { data: { event_id: number } }).data.event_id);
    expect(new Set(eventIds)).toEqual(new Set(events.map((event) => Number(event.id))));
    // Every request the receiver saw is an attempt a node recorded: none was made twice at once.
    expect(receiver.received.filter((request) => request.status === 503)).toHaveLength(REFUSED_FIRST);
    expect(receiver.received).toHaveLength(settled.reduce((sum, row) => sum + Number(row.attempts), 0));
  });
});
