// Placeholder: filled in by the audit screen.
import type { Router } from 'express';
import type { AdminDependencies } from './context.js';

export function auditRoutes(_router: Router, _deps: AdminDependencies): void {}
