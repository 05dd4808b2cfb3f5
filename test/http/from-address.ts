// Requests from a chosen client address, for the tests of per-address limits without TRUST_PROXY: the app
// listens on 127.0.0.1, and on Linux any address of 127.0.0.0/8 may be the client's end of the connection
// (http.request's localAddress), so the app sees each test's "attacker" and "person" as the socket's own address.
import http from 'node:http';

export interface AddressAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body as JSON ({} when it is not JSON). */
  json: Record<string, any>;
}

export interface AddressRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request to `url` over a connection whose client end is `localAddress`; redirects are not followed. */
export function requestFrom(localAddress: string, url: string | URL, { method = 'GET', headers = {}, body }: AddressRequest = {}): Promise<AddressAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method, headers: { ...headers, ...(body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }) }, localAddress, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, any> = {};
          if (response.headers['content-type']?.startsWith('application/json')) json = JSON.parse(text) as Record<string, any>;
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, json });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** A form POST from `localAddress`. */
export function postFormFrom(localAddress: string, url: string | URL, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<AddressAnswer> {
  return requestFrom(localAddress, url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
}
