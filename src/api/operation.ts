// One management API operation, declared once: its method and path, the scope it needs, the zod schemas of its
// path parameters, query, body and answer, and its handler. The router (src/api/router.ts) builds the Express route
// from it and validates every request with the same schemas; the OpenAPI document (src/api/openapi.ts) is generated
// from them too, so the description cannot drift from what the handlers accept and answer.
//
// A noun is a file (src/api/users.ts, groups.ts, …) exporting its `ApiOperation[]`, listed in NOUNS in
// src/api/router.ts. Handlers do no rule of their own: they call src/manage/ (the rules the `idp` tool and the admin
// screens share) with `ctx.manage`, and map records to JSON.
import type { Request } from 'express';
import type { z } from 'zod';
import type { ClientContext } from '../manage/clients.js';
import type { Config } from '../config.js';
import type { ManageScope } from '../store/records.js';
import type { ApiCaller } from './caller.js';
import type { ManagementApiDependencies } from './dependencies.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** What a handler answers; the router writes it. */
export interface ApiResult<Body> {
  /** The operation's `status` unless given (201 for a created resource, 200 for one that was already there). */
  status?: 200 | 201 | 204;
  /** Absent for 204. */
  body?: Body;
  /** The resource the answer represents: its ETag header (src/api/etag.ts). */
  etag?: { id: string; version: number };
  /** A created resource's path under /api/v1 (`/users/<id>`): the Location header (RFC 9110 §10.2.2). */
  location?: string;
  /** A paged list's next cursor: the Link rel="next" header (RFC 8288) repeats the request with it. */
  nextCursor?: string | null;
}

/** What a handler is given: the request's validated parts, who calls, and the shared management context. */
export interface ApiContext<Params, Query, Body> {
  params: Params;
  query: Query;
  body: Body;
  caller: ApiCaller;
  deps: ManagementApiDependencies;
  /** For src/manage/: the caller as actor (audit log), the request's address, mail, back-channel logout, the configuration. */
  manage: ClientContext & { config: Config };
  /**
   * The version the request's If-Match names for the resource of the path (operations declared with `ifMatch`; the
   * router has already answered 428 without If-Match, 412 for an ETag not of this resource): pass it to the manage
   * function as `expectedVersion`, which makes its write conditional on it.
   */
  expectedVersion: () => number;
  req: Request;
}

/** The schema of an absent part: nothing is accepted there (an unexpected body or query is refused). */
type Absent = z.ZodType<undefined>;

export interface OperationSpec<Params extends z.ZodType, Query extends z.ZodType, Body extends z.ZodType, Response extends z.ZodType> {
  /** Unique, camelCase: the OpenAPI operationId, and `operation` in the `api.request` audit event. */
  operationId: string;
  method: HttpMethod;
  /** Under /api/v1, OpenAPI style: `/users/{id}`; each `{name}` is a key of `params`. */
  path: string;
  scope: ManageScope;
  /** The OpenAPI tag (the noun): `users`, `groups`, … */
  tag: string;
  summary: string;
  description?: string;
  params?: Params;
  query?: Query;
  /** A JSON body (application/json only, at most 1 MiB). */
  body?: Body;
  /** The answer's body; absent for 204. */
  response?: Response;
  /** The success status. */
  status: 200 | 201 | 204;
  /**
   * The operation changes a versioned resource, whose id is this path parameter: If-Match is required (428 without,
   * 412 for an ETag not of this resource, or stale: src/api/etag.ts).
   */
  ifMatch?: string;
  /** Its answers carry the resource's ETag. */
  etag?: boolean;
  /** A paged list (`limit`, `cursor`; `next_cursor` and Link rel="next"). */
  paged?: boolean;
  /** Other success statuses it may answer with (a PUT answering 201 or 204), each with the same response schema. */
  alsoStatus?: (200 | 201 | 204)[];
  handler(ctx: ApiContext<z.output<Params>, z.output<Query>, z.output<Body>>): Promise<ApiResult<z.input<Response>>>;
}

/** An operation with its types erased, as the router and the OpenAPI generator hold them. */
export interface ApiOperation extends Omit<OperationSpec<z.ZodType, z.ZodType, z.ZodType, z.ZodType>, 'handler'> {
  handler(ctx: ApiContext<unknown, unknown, unknown>): Promise<ApiResult<unknown>>;
}

/** Declares an operation, its handler typed from its schemas. */
export function defineOperation<Params extends z.ZodType = Absent, Query extends z.ZodType = Absent, Body extends z.ZodType = Absent, Response extends z.ZodType = Absent>(
  spec: OperationSpec<Params, Query, Body, Response>,
): ApiOperation {
  return spec;
}

/** The Express path of an OpenAPI path: `/users/{id}` → `/users/:id`. */
export function expressPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/** The names of an OpenAPI path's parameters, in order. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] ?? '');
}
