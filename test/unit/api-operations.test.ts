// The management API's table of operations (src/api/router.ts) and the OpenAPI document generated from it
// (src/api/openapi.ts): declared once, checked at start, described whole.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/openapi.js';
import { defineOperation, type ApiOperation } from '../../src/api/operation.js';
import { problemOf, validationProblem } from '../../src/api/problem.js';
import { apiOperations } from '../../src/api/router.js';
import { ConflictError, InsufficientScope, LastAdminError, ValidationError } from '../../src/errors.js';
import { validateOpenApiDocument } from '../helpers/openapi.js';

const noop = async () => ({});
const op = (overrides: Partial<ApiOperation>): ApiOperation =>
  defineOperation({
    operationId: 'getThing',
    method: 'get',
    path: '/things/{id}',
    scope: 'manage:users',
    tag: 'things',
    summary: 's',
    params: z.strictObject({ id: z.string() }),
    status: 204,
    handler: noop,
    ...overrides,
  } as never);

describe('management API operations', () => {
  it('refuses a table with a repeated operation id or route, or path parameters that do not match the schema', () => {
    expect(() => apiOperations([[op({}), op({ method: 'delete' })]])).toThrow(/getThing is declared twice/);
    expect(() => apiOperations([[op({}), op({ operationId: 'other' })]])).toThrow(/get \/things\/\{id\} is declared twice/);
    expect(() => apiOperations([[op({ path: '/things/{thing}' })]])).toThrow(/params/);
    expect(() => apiOperations([[op({ method: 'patch', ifMatch: 'nope' })]])).toThrow(/ifMatch/);
  });

  it('describes every operation in a valid OpenAPI 3.1 document, each secured by its scope', async () => {
    const operations = apiOperations();
    const document = openApiDocument({ issuer: 'https://idp.example' }, operations) as {
      servers: { url: string }[];
      paths: Record<string, Record<string, { operationId: string; security: unknown }>>;
    };
    expect(await validateOpenApiDocument(document)).toMatchObject({ valid: true });
    expect(document.servers).toEqual([{ url: 'https://idp.example/api/v1' }]);
    const described = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    expect(described.map((operation) => operation.operationId).sort()).toEqual(operations.map((operation) => operation.operationId).sort());
    for (const operation of operations) {
      expect(document.paths[operation.path]?.[operation.method]?.security).toEqual([{ bearer: [operation.scope] }, { oauth2: [operation.scope] }]);
    }
  });
});

describe('management API problems (RFC 9457)', () => {
  it('maps errors to problem types, fields and scopes, and says nothing of an unexpected failure', () => {
    expect(problemOf(new ValidationError('email', 'bad'))).toEqual({ slug: 'validation', detail: 'bad', errors: [{ field: 'email', message: 'bad' }] });
    expect(problemOf(new LastAdminError('last'))).toMatchObject({ slug: 'last_admin' });
    expect(problemOf(new ConflictError('taken'))).toMatchObject({ slug: 'conflict' });
    expect(problemOf(new InsufficientScope('manage:keys'))).toMatchObject({ slug: 'insufficient_scope', scope: 'manage:keys' });
    expect(problemOf(new Error('database password in here'))).toEqual({ slug: 'server_error', detail: 'The server could not complete the request' });
    const parsed = z.strictObject({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: 'x' } });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(validationProblem(parsed.error, 'query')).toMatchObject({ slug: 'validation', errors: [{ field: 'query.a.b' }] });
  });
});
