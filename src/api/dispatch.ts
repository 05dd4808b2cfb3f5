// How one management API operation answers a request: a list of small named steps (as every endpoint here is),
// Express running them in order and sending anything thrown to the problem middleware (src/api/problem.ts).
//
//   authenticate → requireScope → readBody → run (validate params, query and body; If-Match; handler; answer)
//
// Authentication comes first: a stranger's request is refused before its body is read. From then on every answer,
// success or refusal, is audited as one `api.request` event (src/api/api-audit.ts) before it is sent.
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { InsufficientScope } from '../errors.js';
import { routeUrl } from '../http/routes.js';
import { auditCall } from './api-audit.js';
import { authenticateCaller } from './authenticate.js';
import type { ApiCaller } from './caller.js';
import type { ManagementApiDependencies } from './dependencies.js';
import { etagOf, expectedVersion } from './etag.js';
import type { ApiContext, ApiOperation } from './operation.js';
import { nextPageUrl } from './paging.js';
import { ApiProblem, validationProblem } from './problem.js';

/** res.locals of an authenticated API request. */
export interface ApiLocals {
  apiCaller?: ApiCaller;
  apiOperation?: ApiOperation;
}

export const callerOf = (res: Response): ApiCaller | undefined => (res.locals as ApiLocals).apiCaller;

function authenticate(deps: ManagementApiDependencies, operation: ApiOperation): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const locals = res.locals as ApiLocals;
    locals.apiCaller = await authenticateCaller(deps, req);
    locals.apiOperation = operation;
    next();
  };
}

/** RFC 6750 §3.1: a good token without the operation's scope is 403 insufficient_scope, naming the scope. */
function requireScope(operation: ApiOperation): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (!callerOf(res)?.scopes.has(operation.scope)) throw new InsufficientScope(operation.scope);
    next();
  };
}

/** Whether the request carries a body at all (RFC 9112 §6.3: a length above zero, or chunked). */
function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? '0');
  return Number.isFinite(length) && length > 0;
}

// body-parser types its middleware for Node's IncomingMessage; ours take Express's Request, which extends it.
const parseJson: RequestHandler = express.json({ limit: '1mb', strict: true, type: 'application/json' });

/** application/json only (415 otherwise), at most 1 MiB (413), objects and arrays only; no body where none is taken. */
function readBody(operation: ApiOperation): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!hasBody(req)) {
      req.body = undefined;
      next();
      return;
    }
    if (operation.body === undefined) throw new ApiProblem('validation', 'this operation takes no request body', [{ field: 'body', message: 'no body is taken' }]);
    if (req.is('application/json') !== 'application/json') throw new ApiProblem('unsupported_media_type', 'send the body as application/json');
    parseJson(req, res, next);
  };
}

function parsePart(schema: z.ZodType | undefined, value: unknown, prefix: string | null, name: string): unknown {
  if (schema === undefined) {
    const empty = value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
    if (!empty) throw new ApiProblem('validation', `this operation takes no ${name}`, [{ field: prefix ?? 'body', message: `no ${name} is taken` }]);
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(parsed.error, prefix);
  return parsed.data;
}

/** The shared management context, acting as the caller from the request's address. */
function manageContext(deps: ManagementApiDependencies, caller: ApiCaller, req: Request): ApiContext<unknown, unknown, unknown>['manage'] {
  return {
    config: deps.config,
    store: deps.store,
    clock: deps.clock,
    passwordMinLength: deps.config.passwordMinLength,
    actor: caller.actor,
    ip: req.ip ?? null,
    sessionEnd: deps.sessionEnd,
    mail: { store: deps.store, clock: deps.clock, config: deps.config, mailer: deps.mailer, logger: deps.logger },
    breachedPasswords: deps.breachedPasswords,
  };
}

function run(deps: ManagementApiDependencies, operation: ApiOperation): RequestHandler {
  const apiBase = routeUrl(deps.config.issuer, 'managementApi');
  return async (req: Request, res: Response): Promise<void> => {
    const caller = callerOf(res);
    // Stryker disable next-line ConditionalExpression: authenticate always runs first; fail closed if it did not
    if (!caller) throw new Error('management API operation reached without authentication');
    const params = parsePart(operation.params, req.params, null, 'path parameters');
    const query = parsePart(operation.query, req.query, 'query', 'query parameters');
    const body = parsePart(operation.body, req.body, null, 'request body');
    // RFC 6585 §3 and RFC 9110 §13.1.1: the If-Match of a conditional operation is checked before any work, against
    // the resource its path names; the handler's write is then conditioned on the version it names.
    const version = operation.ifMatch === undefined ? null : expectedVersion(req.headers['if-match'], String((params as Record<string, unknown>)[operation.ifMatch]));
    const ctx: ApiContext<unknown, unknown, unknown> = {
      params,
      query,
      body,
      caller,
      deps,
      manage: manageContext(deps, caller, req),
      expectedVersion: () => {
        // Stryker disable next-line ConditionalExpression: only a handler declared without ifMatch could reach this
        if (version === null) throw new Error(`${operation.operationId} is not declared conditional (ifMatch)`);
        return version;
      },
      req,
    };
    const result = await operation.handler(ctx);
    const status = result.status ?? operation.status;
    if (result.etag) res.setHeader('ETag', etagOf(result.etag.id, result.etag.version));
    if (result.location) res.setHeader('Location', `${apiBase}${result.location}`);
    if (result.nextCursor) res.setHeader('Link', `<${nextPageUrl(apiBase, req, result.nextCursor)}>; rel="next"`);
    await auditCall(deps, req, caller, operation, status);
    res.setHeader('Cache-Control', 'no-store');
    if (status === 204) res.status(204).end();
    else res.status(status).json(result.body);
  };
}

/** The steps of one operation's route. */
export function operationRoute(deps: ManagementApiDependencies, operation: ApiOperation): RequestHandler[] {
  return [authenticate(deps, operation), requireScope(operation), readBody(operation), run(deps, operation)];
}
