// Placeholder: filled in by the keys screen.
import type { Router } from 'express';
import type { AdminDependencies } from './context.js';

export function keyRoutes(_router: Router, _deps: AdminDependencies): void {}
