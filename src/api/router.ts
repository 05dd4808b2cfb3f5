// The management API under /api/v1 (issue 26): one route per operation of the nouns below (src/api/operation.ts),
// the OpenAPI 3.1 document of the same operations at /api/v1/openapi.json (public: it holds no data), and RFC 9457
// problems for every refusal, including an unknown path (404) or method (405). Bearer tokens only (src/api/
// authenticate.ts); no cookies, so no CSRF to guard against and no CORS: it is for scripts, not for browser pages.
import express, { type Request, type Response, type Router } from 'express';
import { apisOperations } from './apis.js';
import { clientOperations } from './clients.js';
import { callerOf, operationRoute, type ApiLocals } from './dispatch.js';
import { auditCall } from './api-audit.js';
import type { ManagementApiDependencies } from './dependencies.js';
import { groupOperations } from './groups.js';
import { keyOperations } from './keys.js';
import { openApiDocument } from './openapi.js';
import { expressPath, pathParameters, type ApiOperation } from './operation.js';
import { ApiProblem, problemMiddleware } from './problem.js';
import { userOperations } from './users.js';

export type { ManagementApiDependencies } from './dependencies.js';

/** Every operation of the API, noun by noun; a new noun adds its array here. */
export const NOUNS: readonly (readonly ApiOperation[])[] = [userOperations, groupOperations, clientOperations, apisOperations, keyOperations];

export const OPENAPI_PATH = '/openapi.json';

/** The operations, checked once: unique ids and routes, and each path parameter declared in `params` (and back). */
export function apiOperations(nouns: readonly (readonly ApiOperation[])[] = NOUNS): ApiOperation[] {
  const operations = nouns.flat();
  const seen = new Set<string>();
  for (const operation of operations) {
    for (const key of [operation.operationId, `${operation.method} ${operation.path}`]) {
      if (seen.has(key)) throw new Error(`management API: ${key} is declared twice`);
      seen.add(key);
    }
    const declared = Object.keys((operation.params as { shape?: Record<string, unknown> } | undefined)?.shape ?? {}).sort();
    const inPath = pathParameters(operation.path).sort();
    if (declared.join() !== inPath.join()) throw new Error(`management API: ${operation.operationId}'s params (${declared.join()}) are not its path's (${inPath.join()})`);
    if (operation.ifMatch !== undefined && !inPath.includes(operation.ifMatch)) throw new Error(`management API: ${operation.operationId}'s ifMatch names no path parameter`);
  }
  return operations;
}

/** RFC 9110 §15.5.6: a path the API has, with a method it has not there; `Allow` lists those it has. */
function methodNotAllowed(methods: string[]) {
  const allow = [...new Set(methods.flatMap((method) => (method === 'get' ? ['GET', 'HEAD'] : [method.toUpperCase()])))].join(', ');
  return (_req: Request, res: Response): void => {
    res.setHeader('Allow', allow);
    throw new ApiProblem('method_not_allowed', `this path answers ${allow} only`);
  };
}

function notFound(req: Request): never {
  throw new ApiProblem('not_found', `the management API has nothing at ${req.path}`);
}

export function managementApiRouter(deps: ManagementApiDependencies): Router {
  const operations = apiOperations();
  const router = express.Router({ caseSensitive: true, strict: true });
  // Made once, at its first request: the document only changes with the code (and the issuer, read once at start),
  // and making it (z.toJSONSchema of every operation) was a tenth of a cold start (issue 27).
  let document: string | undefined;
  router.get(OPENAPI_PATH, (_req: Request, res: Response) => {
    document ??= JSON.stringify(openApiDocument(deps.config, operations));
    res.setHeader('Cache-Control', 'no-cache');
    res.type('application/json').send(document);
  });
  const methodsByPath = new Map<string, string[]>();
  for (const operation of operations) {
    router[operation.method](expressPath(operation.path), ...operationRoute(deps, operation));
    methodsByPath.set(operation.path, [...(methodsByPath.get(operation.path) ?? []), operation.method]);
  }
  for (const [path, methods] of methodsByPath) router.all(expressPath(path), methodNotAllowed(methods));
  router.all(OPENAPI_PATH, methodNotAllowed(['get']));
  router.use(notFound);
  router.use(
    problemMiddleware(async (req, res, problem) => {
      // An authenticated call's refusal is audited like its success; a 401 never got that far.
      const caller = callerOf(res);
      const operation = (res.locals as ApiLocals).apiOperation;
      if (caller && operation) await auditCall(deps, req, caller, operation, problem.status);
    }),
  );
  return router;
}
