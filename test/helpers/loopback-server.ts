// What the tests of Gatehouse's own outgoing requests (src/http/outbound-request.ts: the jwks_uri fetch, the
// back-channel logout POST) talk to: a real HTTP server on loopback that counts the connections it accepts and the
// requests it answers, and a resolver standing in for DNS that records the names it was asked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll } from 'vitest';
import type { Resolver } from '../../src/http/outbound-request.js';

/** A loopback server whose one route answers as `answer` says; counts its connections and requests. */
export interface LoopbackServer {
  /** http://127.0.0.1:PORT followed by the path given. */
  url: string;
  requests: number;
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  answer: (res: http.ServerResponse) => void;
  stop(): Promise<void>;
}

export async function loopbackServer(answer: LoopbackServer['answer'], pathname = '/'): Promise<LoopbackServer> {
  const httpServer = http.createServer();
  const state: LoopbackServer = {
    url: '',
    requests: 0,
    connections: 0,
    answer,
    async stop() {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
  httpServer.on('connection', () => (state.connections += 1));
  httpServer.on('request', (_req, res: http.ServerResponse) => {
    state.requests += 1;
    state.answer(res);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}${pathname}`;
  return state;
}

/** A start function for the enclosing describe block: each server it starts answers on `pathname`, and all stop after the block. */
export function loopbackServersPerBlock(pathname = '/'): (answer: LoopbackServer['answer']) => Promise<LoopbackServer> {
  const servers: LoopbackServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });
  return async (answer) => {
    const server = await loopbackServer(answer, pathname);
    servers.push(server);
    return server;
  };
}

/** A resolver that answers `addresses` for every name, and records the names it was asked. */
export function resolverOf(...addresses: string[]): { asked: string[]; resolve: Resolver } {
  const asked: string[] = [];
  const resolve: Resolver = async (hostname) => {
    asked.push(hostname);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { asked, resolve };
}
