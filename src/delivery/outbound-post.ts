// One POST of a delivery (a webhook's event, a back-channel logout token) to an address an administrator or a
// registered client chose, from inside the organisation's network. Outside development, private, loopback,
// link-local and other special-purpose addresses are refused (src/manage/client-urls.ts) on every address the host
// name resolves to at this attempt, and the connection goes to an address that was checked (the request's own
// `lookup`, src/http/outbound-request.ts), so a DNS answer that changes between the check and the connection (DNS
// rebinding) cannot redirect it. A redirect is not followed (the body would go where nobody registered it), the
// answer's body is never read, and a failure is told only by its kind (FailureReason), never by the network's
// error text, so that the audit log is no port scanner's read-out.
import http from 'node:http';
import https from 'node:https';
import { checkedConnection, RefusedAddressError, type OutboundAddressPolicy } from '../http/outbound-request.js';
import type { AttemptResult } from './sender.js';

export interface OutboundPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Which addresses the receiver may be on, and the resolver. */
  addresses: OutboundAddressPolicy;
  /** The longest the attempt waits for the answer's status. */
  timeoutMs: number;
  /** Aborts the attempt (the process is stopping): the result is then `shutdown`. */
  signal: AbortSignal;
  /** Which answers deliver it. */
  accepts: (status: number) => boolean;
}

/** Makes one attempt and says how it went; never rejects for anything the receiver or the network did. */
export async function postOnce(post: OutboundPost): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(post.timeoutMs);
  try {
    const status = await send(post, AbortSignal.any([timeout, post.signal]));
    return post.accepts(status) ? { delivered: true, status } : { delivered: false, reason: 'http_status', status };
  } catch (error) {
    if (post.signal.aborted) return { delivered: false, reason: 'shutdown' };
    if (timeout.aborted) return { delivered: false, reason: 'timeout' };
    if (error instanceof RefusedAddressError) return { delivered: false, reason: 'refused_address' };
    return { delivered: false, reason: 'connection_failed' };
  }
}

/** POSTs the body and resolves with the answer's status. */
function send({ url: uri, headers, body, addresses }: OutboundPost, signal: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const url = URL.canParse(uri) ? new URL(uri) : null;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      // Checked when it was saved; a row altered since is refused like a special-purpose address (never retried).
      reject(new RefusedAddressError());
      return;
    }
    let connection: ReturnType<typeof checkedConnection>;
    try {
      // A refused address literal throws here; a name is checked by the connection's own `lookup`.
      connection = checkedConnection(url, addresses);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      // A connection of its own (agent: false), to an address just checked.
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, ...connection, signal },
      (response) => {
        // Only the status counts; a redirect is not followed, and an endless body is not read.
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
