// The management API's errors as RFC 9457 problem details (`application/problem+json`): one function turns any error
// into a problem, one middleware sends it. The app's error handler never sees an API error: this middleware ends
// every one under /api/v1 (src/api/router.ts mounts it last).
//
// `type` is a URN of ours, `urn:gatehouse:problem:<slug>`: stable, and not dereferenceable, which RFC 9457 §3.1.1
// allows ("a URI that is not a locator"); the list below is what docs/management-api.md documents. `title` is the
// same for every occurrence of a type (§3.1.3), `detail` says what happened this time (§3.1.4), `instance` names this
// occurrence by the request id the server logged (X-Request-Id). Extension members: `errors` (which field broke which
// rule) and `scope` (the scope a 403 lacked).
import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { GatehouseError, InsufficientScope, InvalidToken, LastAdminError, OAuthError, ValidationError } from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Every problem type the API answers with: its slug (the URN's last part), status and fixed title. */
export const PROBLEM_TYPES = {
  validation: { status: 400, title: 'The request is not valid' },
  invalid_json: { status: 400, title: 'The request body is not JSON' },
  invalid_token: { status: 401, title: 'The access token is missing or not valid' },
  insufficient_scope: { status: 403, title: 'The access token lacks the scope this call needs' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The change conflicts with the current state' },
  last_admin: { status: 409, title: 'The change would leave no enabled administrator' },
  precondition_failed: { status: 412, title: 'The resource changed since it was read' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  precondition_required: { status: 428, title: 'This change needs an If-Match header' },
  too_many_requests: { status: 429, title: 'Too many requests' },
  server_error: { status: 500, title: 'The server could not complete the request' },
  unavailable: { status: 503, title: 'The service is temporarily unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export const problemType = (slug: ProblemSlug): string => `urn:gatehouse:problem:${slug.replace(/_/g, '-')}`;

export interface FieldError {
  /** The field, as a JSON path into the request (`email`, `query.limit`, `scopes.0`), or `body` for the whole body. */
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  scope?: string;
}

/** An error the API raises itself with a problem type of its own (bad JSON, wrong media type, method not allowed). */
export class ApiProblem extends GatehouseError {
  readonly status: number;
  constructor(
    readonly slug: ProblemSlug,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.status = PROBLEM_TYPES[slug].status;
  }
}

/** A refused request input as a 400 problem, each issue with its field (the path zod reports, after `prefix`). */
export function validationProblem(error: ZodError, prefix: string | null): ApiProblem {
  const errors = error.issues.map((issue) => {
    const path = [...(prefix === null ? [] : [prefix]), ...issue.path.map(String)];
    return { field: path.length === 0 ? 'body' : path.join('.'), message: issue.message };
  });
  const first = errors[0];
  return new ApiProblem('validation', first ? `${first.field}: ${first.message}` : 'the request is not valid', errors);
}

const SLUG_OF_STATUS: Record<number, ProblemSlug> = {
  400: 'validation',
  401: 'invalid_token',
  403: 'insufficient_scope',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  428: 'precondition_required',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** Body-parser errors (express.json) carry a 4xx status, a `type` and a message safe to show (`expose`). */
function parserProblem(error: unknown): ApiProblem | null {
  const { status, type, expose } = error as { status?: unknown; type?: unknown; expose?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500 || expose !== true) return null;
  if (type === 'entity.parse.failed') return new ApiProblem('invalid_json', 'the request body is not valid JSON');
  if (type === 'entity.too.large') return new ApiProblem('payload_too_large', 'the request body is larger than 1 MiB');
  if (status === 415) return new ApiProblem('unsupported_media_type', (error as Error).message);
  const slug = SLUG_OF_STATUS[status] ?? 'validation';
  return new ApiProblem(slug, (error as Error).message);
}

/** The problem an error stands for; anything unexpected is a 500 that says nothing of its cause. */
export function problemOf(error: unknown): { slug: ProblemSlug; detail: string; errors?: FieldError[]; scope?: string } {
  if (error instanceof ApiProblem) return { slug: error.slug, detail: error.message, ...(error.errors ? { errors: error.errors } : {}) };
  if (error instanceof ZodError) return problemOf(validationProblem(error, null));
  if (error instanceof InsufficientScope) return { slug: 'insufficient_scope', detail: error.message, scope: error.scope };
  if (error instanceof InvalidToken) return { slug: 'invalid_token', detail: error.description };
  if (error instanceof ValidationError) return { slug: 'validation', detail: error.message, errors: [{ field: error.field, message: error.message }] };
  if (error instanceof LastAdminError) return { slug: 'last_admin', detail: error.message };
  if (error instanceof OAuthError) return { slug: SLUG_OF_STATUS[error.status] ?? 'validation', detail: error.description };
  if (error instanceof GatehouseError) {
    const slug = SLUG_OF_STATUS[error.status];
    if (slug) return { slug, detail: error.message };
    return { slug: error.status >= 500 ? 'server_error' : 'validation', detail: error.status >= 500 ? PROBLEM_TYPES.server_error.title : error.message };
  }
  const parsed = parserProblem(error);
  if (parsed) return problemOf(parsed);
  return { slug: 'server_error', detail: PROBLEM_TYPES.server_error.title };
}

/** RFC 6750 §3: the challenge of a 401 or 403 answer to a bearer token. */
function challenge(error: unknown, problem: { slug: ProblemSlug; scope?: string }): string | null {
  if (error instanceof InvalidToken && error.challengeOnly) return 'Bearer realm="gatehouse"';
  if (problem.slug === 'invalid_token') return 'Bearer realm="gatehouse", error="invalid_token"';
  if (problem.slug === 'insufficient_scope' && problem.scope) return `Bearer realm="gatehouse", error="insufficient_scope", scope="${problem.scope}"`;
  return null;
}

/** The problem `error` stands for, logged (the cause of a 500 goes to the log only), with its challenge if any. */
export function problemFor(req: Request, error: unknown): { problem: Problem; challenge: string | null } {
  const found = problemOf(error);
  const { status, title } = PROBLEM_TYPES[found.slug];
  if (status >= 500) req.log.error({ err: error }, 'management API request failed');
  else req.log.info({ problem: found.slug, detail: (error as GatehouseError).detail }, 'management API request refused');
  const problem: Problem = {
    type: problemType(found.slug),
    title,
    status,
    detail: found.detail,
    ...(typeof req.id === 'string' ? { instance: `urn:gatehouse:request:${req.id}` } : {}),
    ...(found.errors ? { errors: found.errors } : {}),
    ...(found.scope ? { scope: found.scope } : {}),
  };
  return { problem, challenge: challenge(error, found) };
}

export function writeProblem(res: Response, problem: Problem, challengeHeader: string | null): void {
  if (challengeHeader) res.setHeader('WWW-Authenticate', challengeHeader);
  res.setHeader('Cache-Control', 'no-store');
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/**
 * The API router's error middleware (4 arguments: Express tells error handlers by their arity). `beforeSend` runs
 * first (the audit of an authenticated call), so that whoever reads the audit log after the answer finds it there.
 */
export function problemMiddleware(beforeSend?: (req: Request, res: Response, problem: Problem) => Promise<void>) {
  return async (error: unknown, req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { problem, challenge: header } = problemFor(req, error);
    await beforeSend?.(req, res, problem);
    writeProblem(res, problem, header);
  };
}
