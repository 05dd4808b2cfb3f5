// A relying party's back-channel logout endpoint for tests: a real `node:http` server on 127.0.0.1 that
// records every request it receives and answers the way it is told (200 by default; an error, a redirect,
// slowly, or never). Tests must close every receiver they start.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify, type JWTVerifyGetKey, type JWTVerifyResult } from 'jose';
import { expect } from 'vitest';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * What a relying party does with a logout token (Back-Channel Logout 1.0 §2.6), against the issuer's keys; `at`: the
 * time it is checked at (an app on a fake clock), now when absent.
 */
export async function verifyLogoutToken(token: string, keys: JWTVerifyGetKey, issuer: string, audience: string, at?: number): Promise<JWTVerifyResult> {
  const verified = await jwtVerify(token, keys, {
    ...(at === undefined ? {} : { currentDate: new Date(at) }),
    issuer,
    audience,
    typ: 'logout+jwt',
    algorithms: ['RS256'],
    requiredClaims: ['iat', 'exp', 'jti', 'sub', 'sid', 'events'],
  });
  expect(verified.protectedHeader).toMatchObject({ alg: 'RS256', typ: 'logout+jwt' });
  expect(verified.payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
  expect(verified.payload).not.toHaveProperty('nonce');
  return verified;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
  /** The `logout_token` form field, when the body is a form that has one. */
  logoutToken: string | null;
  at: number;
}

/** How to answer one request: a status (with a Location for redirects), after an optional delay, or never. */
export type Answer = { status: number; location?: string; delayMs?: number } | 'never';

export class LogoutReceiver {
  readonly received: ReceivedRequest[] = [];
  private readonly queued: Answer[] = [];
  private fallback: Answer = { status: 200 };
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: http.Server,
    /** Where the application registered its back-channel logout URI. */
    readonly url: string,
  ) {}

  /** `port`: a given one (a receiver that was closed comes back at the same URL); a free one when absent. */
  static async start(port = 0): Promise<LogoutReceiver> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const receiver = new LogoutReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`);
    server.on('request', (req, res) => receiver.handle(req, res));
    return receiver;
  }

  /** Answers the next requests with `answers`, one each, then every later one with `then`. */
  answer(answers: Answer[], then: Answer = { status: 200 }): this {
    this.queued.push(...answers);
    this.fallback = then;
    return this;
  }

  /** The port it listens on. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** The logout tokens received so far, in order. */
  get tokens(): string[] {
    return this.received.flatMap((request) => (request.logoutToken === null ? [] : [request.logoutToken]));
  }

  /** Resolves once `count` requests arrived; fails after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 5_000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.url} received ${this.received.length} request(s), expected ${count}, within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.received;
  }

  /** Stops listening and drops every connection, including requests left unanswered on purpose. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type'];
      const isForm = contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
      this.received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        contentType,
        body,
        logoutToken: isForm ? new URLSearchParams(body).get('logout_token') : null,
        at: Date.now(),
      });
      const answer = this.queued.shift() ?? this.fallback;
      if (answer === 'never') return;
      const send = () => {
        res.writeHead(answer.status, { 'Cache-Control': 'no-store', ...(answer.location ? { Location: answer.location } : {}) });
        res.end();
      };
      if (!answer.delayMs) return send();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, answer.delayMs);
      this.timers.add(timer);
    });
  }
}
