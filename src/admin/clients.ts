// Placeholder: filled in by the clients screen.
import type { Router } from 'express';
import type { AdminDependencies } from './context.js';

export function clientRoutes(_router: Router, _deps: AdminDependencies): void {}
