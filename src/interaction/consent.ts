// PLACEHOLDER written by the coordinator: H2 replaces this file (see /work/notes/issue24-design.md).
import type { Request, Response } from 'express';
import { RouteNotFoundError } from '../errors.js';
import type { SignInStepDependencies } from './sign-in-progress.js';

export function consentPage(_deps: SignInStepDependencies) {
  return (_req: Request, _res: Response): Promise<void> => Promise.reject(new RouteNotFoundError('not yet'));
}

export function consentSubmit(_deps: SignInStepDependencies) {
  return (_req: Request, _res: Response): Promise<void> => Promise.reject(new RouteNotFoundError('not yet'));
}
