// src/http/lazy-router.ts: a router loaded at its first request, once, and loaded again after a failed load.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyRouter } from '../../src/http/lazy-router.js';

describe('lazyRouter', () => {
  let server: http.Server;
  let base: string;
  let loads = 0;
  let failNext = false;

  beforeAll(async () => {
    const app = express();
    app.use(
      '/lazy',
      lazyRouter(async () => {
        loads++;
        if (failNext) {
          failNext = false;
          throw new Error('the chunk could not be loaded');
        }
        const router = express.Router();
        router.get('/hello', (_req, res) => {
          res.send(`hello after ${loads} loads`);
        });
        return router;
      }),
    );
    app.use((_req: Request, res: Response) => {
      res.status(404).send('not found');
    });
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).send(error.message);
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a failed load as an error, loads again at the next request, then never again', async () => {
    failNext = true;
    const failed = await fetch(`${base}/lazy/hello`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('the chunk could not be loaded');
    const answers = await Promise.all([fetch(`${base}/lazy/hello`), fetch(`${base}/lazy/hello`), fetch(`${base}/lazy/hello`)]);
    expect(await Promise.all(answers.map((answer) => answer.text()))).toEqual(['hello after 2 loads', 'hello after 2 loads', 'hello after 2 loads']);
    // A path the loaded router does not know falls through to what follows it.
    expect((await fetch(`${base}/lazy/other`)).status).toBe(404);
    expect(loads).toBe(2);
  });
});
