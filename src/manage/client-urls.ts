// The client URLs Gatehouse requests itself: the back-channel logout URI (Back-Channel Logout 1.0 §2.5) and the
// jwks_uri of a private_key_jwt client (issue 22). A redirect URI is followed by the person's browser; these are
// requested by the server, from inside its network. Pointed at a cloud metadata service (169.254.169.254), an
// internal admin port or a database, they would make Gatehouse a probe of what only it can reach (server-side
// request forgery, CWE-918, OWASP ASVS V12.6.1). Outside development such addresses are refused twice: at
// registration, by address literal or localhost name, with a field error (src/manage/clients.ts, for the admin
// screens and `idp client` alike); and at each request, on every address the host name resolves to at that moment
// (src/http/outbound-request.ts, used by src/logout/backchannel.ts and src/oidc/client-jwks.ts), since DNS may
// answer differently later (DNS rebinding). ALLOW_PRIVATE_CLIENT_URLS (src/config.ts) lifts both.
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../errors.js';

// The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its updates): every block that is not
// globally reachable, plus those that embed an IPv4 address a translator on the path would reach. BlockList also
// matches an IPv4-mapped IPv6 address (::ffff:10.0.0.1) against the IPv4 rules, so those need no rule of their
// own; an IPv6 rule never matches a plain IPv4 address except ::ffff:0:0/96, which is therefore not listed.
const IPV4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the host itself on most systems (RFC 1122 §3.2.1.3)
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback (RFC 1122)
  ['169.254.0.0', 16], // link-local (RFC 3927): cloud metadata services live here
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['192.0.2.0', 24], // documentation, TEST-NET-1 (RFC 5737)
  ['192.88.99.0', 24], // 6to4 relay anycast, deprecated (RFC 7526)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24], // documentation, TEST-NET-2 (RFC 5737)
  ['203.0.113.0', 24], // documentation, TEST-NET-3 (RFC 5737)
  ['224.0.0.0', 4], // multicast (RFC 5771)
  ['240.0.0.0', 4], // reserved, and the limited broadcast 255.255.255.255 (RFC 1112, RFC 919)
];

const IPV6: [string, number][] = [
  ['::', 128], // unspecified (RFC 4291)
  ['::1', 128], // loopback (RFC 4291)
  ['::', 96], // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1): ::127.0.0.1
  ['64:ff9b::', 96], // NAT64 well-known prefix (RFC 6052): reaches the embedded IPv4 address
  ['64:ff9b:1::', 48], // NAT64 local use (RFC 8215)
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 23], // IETF protocol assignments, Teredo among them (RFC 2928, RFC 4380)
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['2002::', 16], // 6to4 (RFC 3056): reaches the embedded IPv4 address
  ['3fff::', 20], // documentation (RFC 9637)
  ['fc00::', 7], // unique local (RFC 4193)
  ['fe80::', 10], // link-local (RFC 4291)
  ['fec0::', 10], // site-local, deprecated (RFC 3879)
  ['ff00::', 8], // multicast (RFC 4291)
];

const SPECIAL_PURPOSE = new BlockList();
for (const [network, prefix] of IPV4) SPECIAL_PURPOSE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of IPV6) SPECIAL_PURPOSE.addSubnet(network, prefix, 'ipv6');

/** A URL's host as an address or name: without the brackets of an IPv6 literal, nor the final dot of a name. */
export function hostOf(url: URL): string {
  const host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) return host.slice(1, -1);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/**
 * Whether `address` (an IP address, not a name) is private, loopback, link-local, unspecified or of another
 * special purpose, IPv4-mapped IPv6 forms included. Anything that is not an IP address counts as special: the
 * caller asked about an address, and an answer of "public" would let it through.
 */
export function isSpecialPurposeAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return SPECIAL_PURPOSE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `localhost` and every name under it resolve to loopback (RFC 6761 §6.3), whatever a DNS server says. */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * The registration rule for `backchannel_logout_uri` when private addresses are not allowed: its host must not
 * be a special-purpose address literal nor a localhost name. A name that resolves to such an address passes here
 * (DNS is not asked at registration) and is refused at each delivery. It comes before checkClientUri, whose
 * scheme rule would otherwise refuse `http://10.0.0.1/` for its http alone.
 */
export function checkPublicClientUrl(uri: string, field: string): void {
  // What does not parse is refused by checkClientUri, with its own message.
  if (!URL.canParse(uri)) return;
  const host = hostOf(new URL(uri));
  const special = isIP(host) !== 0 ? isSpecialPurposeAddress(host) : isLocalhostName(host);
  if (!special) return;
  throw new ValidationError(
    field,
    `${field} ${JSON.stringify(uri)} points at a private, loopback, link-local or other special-purpose address, where Gatehouse does not send requests; ` +
      "use the application's public address, or set ALLOW_PRIVATE_CLIENT_URLS=true if it runs on your own network",
  );
}
