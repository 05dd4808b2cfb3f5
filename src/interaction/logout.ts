// SCAFFOLD: replaced by the real endpoint in this change.
import type { Request, Response } from 'express';

export function endSessionEndpoint(_deps: unknown) {
  return async (_req: Request, _res: Response): Promise<void> => {
    throw new Error('not implemented yet');
  };
}
