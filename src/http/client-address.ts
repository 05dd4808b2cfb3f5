// The client's address as Express computes `req.ip` (its compileTrust over proxy-addr, with TRUST_PROXY), for the
// node:http fast path (src/http/public-documents.ts), which runs before Express: a JWKS fetch there and a token
// request through Express from the same client must name the same address (key rotation readiness).
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Config } from '../config.js';

export type ClientAddress = (req: IncomingMessage) => string;

/** Express 5 `compileTrust`: false trusts no proxy, a number trusts that many hops, a list trusts those addresses and subnets. */
export function clientAddress(trustProxy: Config['trustProxy']): ClientAddress {
  const trust = typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : proxyaddr.compile(trustProxy === false ? [] : trustProxy);
  return (req) => proxyaddr(req, trust);
}
