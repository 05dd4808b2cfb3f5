// Liveness and readiness probes for load balancers and orchestrators.
import type { Request, Response } from 'express';
import type { Store } from '../store/store.js';

/** The process is up and serving HTTP. */
export function healthHandler(_req: Request, res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ status: 'ok' });
}

/** The store answers: this node can take traffic. */
export function readinessHandler(store: Store) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      await store.ping();
      res.json({ status: 'ready' });
    } catch (error) {
      req.log.error({ err: error }, 'readiness check failed: the store did not answer');
      res.status(503).json({ status: 'unavailable' });
    }
  };
}
