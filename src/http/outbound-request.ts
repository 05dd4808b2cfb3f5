// The address rule of every request Gatehouse makes itself to an address someone else named: the back-channel
// logout POST (src/logout/backchannel.ts) and the GETs of src/http/bounded-get.ts (a jwks_uri, a brand image).
// Pointed at a cloud metadata service (169.254.169.254), an internal admin port or a database, such a request
// would make Gatehouse a probe of what only it can reach (server-side request forgery, CWE-918, OWASP ASVS V12.6.1). So, outside
// development (ALLOW_PRIVATE_CLIENT_URLS, config.allowPrivateClientUrls), a private, loopback, link-local or other
// special-purpose address (src/manage/client-urls.ts) is refused before any connection: an address literal here,
// since Node connects to a literal without asking `lookup`; a host name in the request's own `lookup`, on every
// address it resolves to at that moment, one special-purpose address refusing them all. The connection then goes
// to an address that was checked, on a connection of its own (`agent: false`: a pooled socket may have been
// opened for another address), so a DNS answer that changes between the check and the connection (DNS
// rebinding) cannot redirect it.
import { lookup as systemLookup } from 'node:dns/promises';
import type { RequestOptions } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import type { Config } from '../config.js';
import { hostOf, isSpecialPurposeAddress } from '../manage/client-urls.js';
import type { ClientRecord } from '../store/records.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name has; by default the system's resolver (dns.lookup: /etc/hosts, then DNS). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const resolveWithSystem: Resolver = (hostname) => systemLookup(hostname, { all: true, verbatim: true });

export interface OutboundAddressPolicy {
  /** config.allowPrivateClientUrls (whose default, read once in src/config.ts, follows the issuer). */
  allowPrivateAddresses: boolean;
  /** Name resolution; the system's when absent (tests inject one). */
  resolve?: Resolver;
}

/**
 * Whether requests to a client's URLs (its jwks_uri, its back-channel logout URI) may go to special-purpose
 * addresses. An administrator's client: when ALLOW_PRIVATE_CLIENT_URLS says so (development, or an application on
 * the organisation's own network). A client anyone registered through POST /register (issue 24, origin 'dynamic'):
 * only when REGISTRATION_ALLOW_PRIVATE_URLS says so too, since its URLs are a stranger's choice (server-side request
 * forgery, CWE-918): a development default of the first must not open the organisation's network to strangers.
 */
export function allowsPrivateAddresses(config: Pick<Config, 'allowPrivateClientUrls' | 'registrationAllowPrivateUrls'>, client: Pick<ClientRecord, 'origin'>): boolean {
  if (!config.allowPrivateClientUrls) return false;
  return client.origin !== 'dynamic' || config.registrationAllowPrivateUrls;
}

/** The host is, or resolves to, an address this server does not send requests to; nothing was sent. */
export class RefusedAddressError extends Error {
  readonly code = 'GATEHOUSE_REFUSED_ADDRESS';
  constructor() {
    super('the host is, or resolves to, a special-purpose address');
  }
}

/** Whether a request to this IP address is refused under the policy. */
export function refusesAddress(address: string, allowPrivateAddresses: boolean): boolean {
  return !allowPrivateAddresses && isSpecialPurposeAddress(address);
}

/**
 * A request's name resolution: every address of the name is checked, and one special-purpose address refuses
 * them all (a name with a public and a private address would otherwise reach the private one on a retry, or
 * on the connection's fallback to its next address). Only checked addresses are handed to the connection.
 */
export function checkedLookup(policy: OutboundAddressPolicy): LookupFunction {
  const resolve = policy.resolve ?? resolveWithSystem;
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const [first] = addresses;
        if (first === undefined) callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        else if (addresses.some((entry) => refusesAddress(entry.address, policy.allowPrivateAddresses))) callback(new RefusedAddressError(), '', 0);
        else if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      // The resolver's rejection is handed on as the lookup's error (one that is not an Error becomes the cause of one).
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(`no address for ${hostname}`, { cause: error }), '', 0);
      },
    );
  };
}

/**
 * The connection options of a request to `url` under the policy, to spread into http(s).request's options: a
 * connection of its own, through the checked lookup. Throws RefusedAddressError at once when the URL's host is a
 * refused address literal (which never reaches `lookup`).
 */
export function checkedConnection(url: URL, policy: OutboundAddressPolicy): Pick<RequestOptions, 'agent' | 'lookup'> {
  const host = hostOf(url);
  if (isIP(host) !== 0 && refusesAddress(host, policy.allowPrivateAddresses)) throw new RefusedAddressError();
  return { agent: false, lookup: checkedLookup(policy) };
}
