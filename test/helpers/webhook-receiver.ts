// A webhook endpoint for tests (issue 26): a real `node:http` server on 127.0.0.1 that records every request it
// receives (headers and body) and answers as it is told: a status (2xx accepts), a redirect, or never (an attempt
// that times out). It verifies nothing itself: tests verify signatures with the `standardwebhooks` package, as a
// receiver would. Tests must stop every receiver they start.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  method: string;
  path: string;
  /** Lower-case names, as Node gives them. */
  headers: Record<string, string>;
  body: string;
  /** The status it was answered with; null when it was never answered. */
  status: number | null;
}

export type WebhookAnswer = { status: number; location?: string } | 'never';

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly queued: WebhookAnswer[] = [];
  private fallback: WebhookAnswer = { status: 204 };
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(pathname = '/hooks/gatehouse'): Promise<WebhookReceiver> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`);
    server.on('request', (req, res) => receiver.handle(req, res));
    return receiver;
  }

  /** The next answers, in order; then the fallback. */
  answerNext(...answers: WebhookAnswer[]): void {
    this.queued.push(...answers);
  }

  /** How every request is answered once the queued answers are used. */
  answerAlways(answer: WebhookAnswer): void {
    this.fallback = answer;
  }

  /** The requests answered 2xx. */
  accepted(): ReceivedWebhook[] {
    return this.received.filter((request) => request.status !== null && request.status >= 200 && request.status < 300);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = this.queued.shift() ?? this.fallback;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]));
      const request: ReceivedWebhook = { method: req.method ?? '', path: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8'), status: null };
      this.received.push(request);
      if (answer === 'never') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      request.status = answer.status;
      res.writeHead(answer.status, answer.location ? { location: answer.location } : {});
      // A body the sender must not read (it reads only the status).
      res.end('ignored by the sender');
    });
  }
}
