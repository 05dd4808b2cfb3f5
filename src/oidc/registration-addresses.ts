// The URLs a stranger's client gives that Gatehouse itself will request (its jwks_uri, its back-channel logout
// URI), checked at registration and at every update (issue 24): the host is resolved now, and a private, loopback,
// link-local, cloud-metadata or other special-purpose address (src/manage/client-urls.ts) refuses the registration,
// unless the administrator allowed such addresses for dynamically registered clients (allowsPrivateAddresses:
// ALLOW_PRIVATE_CLIENT_URLS and REGISTRATION_ALLOW_PRIVATE_URLS). This is the early refusal, for the registrant's
// sake; each request the server later makes checks the addresses again at connect time (checkedLookup in
// src/http/outbound-request.ts: DNS may answer differently then), with no redirects and bounded time and size.
//
// A name that does not resolve is refused with the same words as one resolving to a private address: otherwise the
// answer would tell a stranger which internal names exist on the server's network (a DNS oracle).
import { isIP } from 'node:net';
import { hostOf, isLocalhostName, isSpecialPurposeAddress } from '../manage/client-urls.js';
import { resolveWithSystem, type Resolver } from '../http/outbound-request.js';
import { invalidMetadata } from './registration-metadata.js';

export interface AddressCheckOptions {
  /** allowsPrivateAddresses(config, { origin: 'dynamic' }): nothing is resolved then. */
  allowPrivateAddresses: boolean;
  /** Name resolution; the system's when absent (tests inject one). */
  resolve?: Resolver;
  /** The longest a name may take to resolve; then it counts as not resolving. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** The addresses of a host: itself for an address literal, the resolver's answer otherwise ([] on any failure). */
async function addressesOf(host: string, options: AddressCheckOptions): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  // RFC 6761 §6.3: loopback, whatever a DNS server would say.
  if (isLocalhostName(host)) return ['127.0.0.1'];
  const resolve = options.resolve ?? resolveWithSystem;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([resolve(host), timeout])).map((entry) => entry.address);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Refuses (InvalidClientMetadata naming the field) a URL whose host is, or resolves to, a special-purpose address,
 * or does not resolve. URLs that do not parse are left to the rules that follow (checkClientUri names the problem).
 */
export async function checkOutboundAddresses(urls: readonly { field: string; uri: string }[], options: AddressCheckOptions): Promise<void> {
  if (options.allowPrivateAddresses) return;
  for (const { field, uri } of urls) {
    if (!URL.canParse(uri)) continue;
    const addresses = await addressesOf(hostOf(new URL(uri)), options);
    if (addresses.length === 0 || addresses.some(isSpecialPurposeAddress)) {
      throw invalidMetadata(
        field,
        `${uri.slice(0, 200)} must name a host that resolves to public addresses only: Gatehouse sends no request to a private, loopback, link-local or cloud-metadata address, nor to a name it cannot resolve`,
      );
    }
  }
}
