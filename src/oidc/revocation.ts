// SCAFFOLD: replaced by the real endpoint in this change.
import type { Request, Response } from 'express';
import type { GrantDependencies } from './grants/issue-tokens.js';

export function revocationEndpoint(_deps: GrantDependencies) {
  return async (_req: Request, _res: Response): Promise<void> => {
    throw new Error('not implemented yet');
  };
}
