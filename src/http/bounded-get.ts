// The one GET Gatehouse makes itself to an address someone else named: a client's jwks_uri (src/oidc/client-jwks.ts)
// and a BRAND_LOGO/BRAND_FAVICON URL (src/branding/brand-fetch.ts). Small and short: the address rule of
// src/http/outbound-request.ts (node:http with its checked `lookup`, since fetch's connections cannot be given
// one), no redirects (a Location could name any address, this server's neighbours included), one timer from the
// request to the body's last byte (a server that trickles its answer is cut off too), an identity body (a
// compressed one's limit would be its inflated size) and at most `maxBytes` read from the stream whatever
// Content-Length says. A failure is a short reason for the log: the network error's code, never its text.
import http from 'node:http';
import https from 'node:https';
import { checkedConnection, RefusedAddressError, type OutboundAddressPolicy } from './outbound-request.js';

export interface BoundedGetOptions extends OutboundAddressPolicy {
  timeoutMs: number;
  maxBytes: number;
  accept: string;
  /** What the messages name first ("jwks_uri"); '' for none. */
  subject: string;
  /** The message of an answer over maxBytes. */
  tooLarge: string;
  /** Why a 200 answer's headers make it not worth reading (a wrong content type), or null. */
  refuse?: (response: http.IncomingMessage) => string | null;
}

/** The GET failed; the message says why, for the log. */
export class BoundedGetFailed extends Error {}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

function say(options: BoundedGetOptions, text: string): BoundedGetFailed {
  return new BoundedGetFailed(`${options.subject ? `${options.subject} ` : ''}${text}`.slice(0, 200));
}

function networkFailure(options: BoundedGetOptions, error: unknown): BoundedGetFailed {
  if (error instanceof BoundedGetFailed) return error;
  if (error instanceof RefusedAddressError) return say(options, 'could not be fetched (refused_address)');
  const code = (error as { code?: unknown } | null)?.code;
  return say(options, `could not be fetched (${typeof code === 'string' ? code : 'connection_failed'})`);
}

/** Why the status and headers make the answer not worth reading; null when its body may be read. */
function refusalOf(response: http.IncomingMessage, options: BoundedGetOptions): BoundedGetFailed | null {
  const status = response.statusCode ?? 0;
  if (REDIRECT.has(status)) return say(options, 'could not be fetched (redirect)');
  if (status !== 200) return say(options, `answered HTTP ${status}`);
  const refused = options.refuse?.(response) ?? null;
  if (refused !== null) return new BoundedGetFailed(refused);
  const encoding = response.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return say(options, 'answered with an encoded body');
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBytes) return new BoundedGetFailed(options.tooLarge);
  return null;
}

/** GETs the URL and resolves with the body of a 200 answer; anything else rejects with BoundedGetFailed. */
export function boundedGet(url: URL, options: BoundedGetOptions): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let connection: ReturnType<typeof checkedConnection>;
    try {
      connection = checkedConnection(url, options);
    } catch (error) {
      reject(networkFailure(options, error));
      return;
    }
    let settled = false;
    let request: http.ClientRequest | null = null;
    const finish = (outcome: { data: Buffer } | { error: BoundedGetFailed }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('data' in outcome) {
        resolve(outcome.data);
      } else {
        // Drops the connection, and with it whatever of the answer is still to come.
        request?.destroy();
        reject(outcome.error);
      }
    };
    const timer = setTimeout(() => finish({ error: say(options, `did not answer within ${options.timeoutMs} ms`) }), options.timeoutMs);
    request = (url.protocol === 'https:' ? https : http).request(url, { method: 'GET', headers: { accept: options.accept, 'accept-encoding': 'identity' }, ...connection }, (response) => {
      const refusal = refusalOf(response, options);
      if (refusal !== null) {
        finish({ error: refusal });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > options.maxBytes) finish({ error: new BoundedGetFailed(options.tooLarge) });
        else chunks.push(chunk);
      });
      response.on('end', () => finish({ data: Buffer.concat(chunks) }));
      response.on('error', (error) => finish({ error: networkFailure(options, error) }));
      // The connection closed before the body was complete (after 'end', finish is a no-op).
      response.on('close', () => {
        if (!response.complete) finish({ error: say(options, 'could not be fetched (connection_failed)') });
      });
    });
    request.on('error', (error) => finish({ error: networkFailure(options, error) }));
    request.end();
  });
}
