// PLACEHOLDER written by the coordinator: H3 replaces this file (see /work/notes/issue24-design.md).
import express, { type Router } from 'express';
import type { Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

export interface RegistrationDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  throttle: Throttle;
  logger: Logger;
}

export function registrationRouter(_deps: RegistrationDependencies): Router {
  return express.Router();
}
