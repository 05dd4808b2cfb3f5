// Placeholder: filled in by the users screen.
import type { Router } from 'express';
import type { AdminDependencies } from './context.js';

export function userRoutes(_router: Router, _deps: AdminDependencies): void {}
