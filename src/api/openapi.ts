// The OpenAPI 3.1 document of the management API (GET /api/v1/openapi.json), generated from the operations' own zod
// schemas (z.toJSONSchema, JSON Schema 2020-12: OpenAPI 3.1's dialect), the ones the router validates requests with.
// Request schemas are described as zod takes them (io: 'input': a default makes a field optional), answers as the
// handlers give them (io: 'output'). A test checks the document is valid OpenAPI 3.1 and every answer of the test
// runs against it (test/helpers/openapi.ts).
import { z } from 'zod';
import type { Config } from '../config.js';
import { routeUrl } from '../http/routes.js';
import { MANAGE_SCOPES, type ManageScope } from '../store/records.js';
import type { ApiOperation } from './operation.js';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, problemType } from './problem.js';

type JsonSchema = Record<string, unknown>;

const SCOPE_DESCRIPTIONS: Record<ManageScope, string> = {
  'manage:users': 'Read and change people’s accounts',
  'manage:groups': 'Read and change groups and their members',
  'manage:clients': 'Read and change applications (clients)',
  'manage:apis': 'Read and change APIs (resource servers)',
  'manage:keys': 'Read, rotate and revoke signing keys',
};

/** A zod schema as JSON Schema 2020-12, without the `$schema` member (the document's dialect says it once). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  properties: {
    type: { type: 'string', enum: Object.keys(PROBLEM_TYPES).map((slug) => problemType(slug as keyof typeof PROBLEM_TYPES)) },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'urn:gatehouse:request:<X-Request-Id>' },
    errors: {
      type: 'array',
      description: 'Which fields broke which rule (validation problems).',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] },
    },
    scope: { type: 'string', description: 'The scope the token lacks (insufficient-scope problems).' },
  },
  required: ['type', 'title', 'status', 'detail'],
};

const problemResponse = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } });

/** Each top-level property of an object schema as an OpenAPI parameter `in` the path or the query. */
function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const json = jsonSchemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === 'path' || required.has(name), ...(description === undefined ? {} : { description }), schema: rest };
  });
}

function responsesOf(operation: ApiOperation): JsonSchema {
  const headers: JsonSchema = {
    ...(operation.etag ? { ETag: { description: 'The resource’s version: send it back in If-Match to change or delete it.', schema: { type: 'string' } } } : {}),
    ...(operation.status === 201 || operation.alsoStatus?.includes(201) ? { Location: { description: 'The created resource.', schema: { type: 'string' } } } : {}),
    ...(operation.paged ? { Link: { description: 'RFC 8288 rel="next": the next page, when there is one.', schema: { type: 'string' } } } : {}),
  };
  const success = (status: number): [string, JsonSchema] => [
    String(status),
    {
      description: status === 201 ? 'Created' : status === 204 ? 'No content' : 'OK',
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(operation.response === undefined || status === 204 ? {} : { content: { 'application/json': { schema: jsonSchemaOf(operation.response, 'output') } } }),
    },
  ];
  const problems: [string, JsonSchema][] = [
    ['400', problemResponse('The request is not valid (`errors` says which field).')],
    ['401', problemResponse('No token, or a token that is not valid, expired or revoked.')],
    ['403', problemResponse(`The token lacks the scope ${operation.scope}.`)],
    ...(operation.params ? [['404', problemResponse('Not found.')] as [string, JsonSchema]] : []),
    ...(operation.method !== 'get' ? [['409', problemResponse('The change conflicts with the current state (a name taken, the last administrator).')] as [string, JsonSchema]] : []),
    ...(operation.ifMatch
      ? [['412', problemResponse('If-Match is not the current ETag.')] as [string, JsonSchema], ['428', problemResponse('If-Match is missing.')] as [string, JsonSchema]]
      : []),
    ...(operation.body
      ? [['413', problemResponse('The body is larger than 1 MiB.')] as [string, JsonSchema], ['415', problemResponse('The body is not application/json.')] as [string, JsonSchema]]
      : []),
  ];
  return Object.fromEntries([success(operation.status), ...(operation.alsoStatus ?? []).map(success), ...problems, ['default', problemResponse('Any other failure.')]]);
}

function operationObject(operation: ApiOperation): JsonSchema {
  const parameters = [
    ...parametersOf(operation.params, 'path'),
    ...parametersOf(operation.query, 'query'),
    ...(operation.ifMatch ? [{ name: 'If-Match', in: 'header', required: true, description: 'The ETag of the resource as last read.', schema: { type: 'string' } }] : []),
  ];
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [operation.tag],
    security: [{ bearer: [operation.scope] }, { oauth2: [operation.scope] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(operation.body, 'input') } } } } : {}),
    responses: responsesOf(operation),
  };
}

export function openApiDocument(config: Pick<Config, 'issuer'>, operations: readonly ApiOperation[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of operations) (paths[operation.path] ??= {})[operation.method] = operationObject(operation);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Gatehouse management API',
      version: '1',
      description:
        'Users, groups, applications, APIs and signing keys, on the same rules as the `idp` tool and the admin screens. ' +
        'Authenticate with an access token of a machine client granted the management scopes (client_credentials), ' +
        'or an administrator’s personal token (`idp admin token create`). Changes need If-Match with the ETag last read.',
    },
    servers: [{ url: routeUrl(config.issuer, 'managementApi') }],
    tags: [...new Set(operations.map((operation) => operation.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A personal token (`gat_…`) or an access token issued to a machine client for this API.' },
        oauth2: {
          type: 'oauth2',
          description: 'client_credentials for a machine client granted the management API (`idp client create … --machine --api <this API>`).',
          flows: { clientCredentials: { tokenUrl: routeUrl(config.issuer, 'token'), scopes: Object.fromEntries(MANAGE_SCOPES.map((scope) => [scope, SCOPE_DESCRIPTIONS[scope]])) } },
        },
      },
    },
  };
}
