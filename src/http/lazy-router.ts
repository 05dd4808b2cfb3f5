// A router loaded at its first request (issue 27): the administrator's screens, the account pages, the management
// API and dynamic registration are most of the server's code, and most starts never serve them before the first
// sign-in, so parsing and running them at every start was most of a cold start and of the idle memory. The
// module is imported, and its router built, once; every request waits for the same load. A load that fails is
// an error for that request (the error handler answers 500), and the next request tries again.
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export function lazyRouter(load: () => Promise<RequestHandler>): RequestHandler {
  let loaded: Promise<RequestHandler> | undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    // A load that fails, or a router that throws as it starts, goes to the error handler; nothing is left unhandled.
    loaded.then((router) => router(req, res, next)).catch(next);
  };
}
