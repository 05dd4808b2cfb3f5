// The load side of the flow benchmarks: a browser-like HTTP client as cheap as node:http allows (keep-alive
// sockets shared by every virtual user, a cookie jar per user, no redirect following of its own), so that
// the load generator takes as little of the two cores from the servers as it can.
import http from 'node:http';

export interface Answer {
  /** The URL asked, so that a form's relative action resolves against it. */
  url: string;
  status: number;
  location: string | null;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** A request's error, marked with whether it went out on a kept-alive socket used before. */
type RequestError = Error & { reusedSocket?: boolean };

export function closeAgent(): void {
  agent.destroy();
}

let nextAddress = 0;
/** Few enough that the keep-alive pools (one per source address) stay small, enough for any run's sign-ins. */
const SOURCE_ADDRESSES = 250;

/**
 * A loopback source address for each virtual user, taken in turn from 127.0.1.1 … 127.0.1.250 (Linux routes all
 * of 127.0.0.0/8 to lo): people signing in come from many addresses, and a server that admits so many sign-in
 * starts per address (Gatehouse's admission limit, 600 in 10 minutes) would otherwise see the whole benchmark
 * as one network. Both servers get the same addresses.
 */
function nextLoopbackAddress(): string {
  return `127.0.1.${1 + (nextAddress++ % SOURCE_ADDRESSES)}`;
}

/** One virtual user: its own cookies, per origin, and its own source address. */
export class VirtualUser {
  private readonly cookies = new Map<string, Map<string, string>>();
  private readonly localAddress = nextLoopbackAddress();

  async request(method: 'GET' | 'POST', url: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
    try {
      return await this.send(method, url, body, headers);
    } catch (error) {
      // Node's documented keep-alive race (http, request.reusedSocket): the server closed an idle kept-alive socket
      // just as this request went out on it, so the server never saw the request. Sent again once, on a new socket.
      if ((error as RequestError).reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET') return this.send(method, url, body, headers);
      throw error;
    }
  }

  private send(method: 'GET' | 'POST', url: string, body: string | undefined, headers: Record<string, string>): Promise<Answer> {
    const target = new URL(url);
    const jar = this.cookies.get(target.origin);
    const all: Record<string, string> = { ...headers };
    if (jar && jar.size > 0) all.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    if (body !== undefined) {
      all['content-type'] ??= 'application/x-www-form-urlencoded';
      all['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const req = http.request(target, { method, headers: all, agent, localAddress: this.localAddress }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          this.keepCookies(target.origin, res.headers['set-cookie']);
          const location = res.headers.location;
          resolve({ url: target.toString(), status: res.statusCode ?? 0, location: location ? new URL(location, target).toString() : null, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', (error: RequestError) => {
        error.reusedSocket = req.reusedSocket;
        reject(error);
      });
      req.end(body);
    });
  }

  /** Follows redirects while they stay on `origin` (at most 10); returns the first answer that does not. */
  async follow(answer: Answer, origin: string): Promise<Answer> {
    let current = answer;
    for (let hop = 0; hop < 10 && current.location && new URL(current.location).origin === origin; hop++) {
      current = await this.request('GET', current.location);
    }
    return current;
  }

  private keepCookies(origin: string, lines: string[] | undefined): void {
    if (!lines) return;
    const jar = this.cookies.get(origin) ?? new Map<string, string>();
    for (const line of lines) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /;\s*max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(origin, jar);
  }
}
