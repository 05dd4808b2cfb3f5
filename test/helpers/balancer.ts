// A load balancer for the multi-node tests: one loopback address (the issuer) in front of several Gatehouse
// processes, forwarding each request whole to the node the test chose, as a proxy in front of a cluster
// does. It keeps the Host header (like nginx's `proxy_set_header Host $host`) and remembers which node
// answered each request, so a test can prove where its traffic went.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Balancer {
  /** The balancer's own origin, e.g. http://127.0.0.1:41234: the cluster's issuer. */
  url: string;
  /** Sends every following request to this node (a name given to startBalancer). */
  route(node: string): void;
  /** The node that answered each request so far, in order. */
  served: string[];
  close(): Promise<void>;
}

/** Listens on `port` (0 for any) and forwards to `nodes` (name → origin such as http://127.0.0.1:3001). */
export async function startBalancer(nodes: Record<string, string>, port = 0): Promise<Balancer> {
  const names = Object.keys(nodes);
  let current = names[0] ?? '';
  const served: string[] = [];
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((request, response) => {
    const node = current;
    const target = new URL(request.url ?? '/', nodes[node]);
    const upstream = http.request(target, { method: request.method, headers: request.headers, agent }, (answer) => {
      served.push(node);
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${bound}`,
    route(node: string) {
      if (!(node in nodes)) throw new Error(`no node named ${node}`);
      current = node;
    },
    served,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
