// A form route's guard: parse the body, then check its CSRF token, before any handler sees it (the admin and
// account pages). Inside the body parser's callback Express no longer catches a throw, so a refusal is passed on.
import type { NextFunction, Request, Response } from 'express';
import { parseForm } from './parse-form.js';

type Check = (req: Request, res: Response, next: NextFunction) => void;

export function checkedForm(check: Check) {
  return (req: Request, res: Response, next: NextFunction): void => {
    parseForm(req, res, (error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      try {
        check(req, res, next);
      } catch (refused) {
        next(refused);
      }
    });
  };
}
