// The management API as a test calls it (issue 26): every answer is checked against the API's own OpenAPI document
// (GET /api/v1/openapi.json) with an independent JSON Schema validator (ajv, draft 2020-12): its status must be one
// the operation declares (or `default`), its content type the declared one, its body valid against the declared
// schema. The document itself is checked as OpenAPI 3.1 (@seriousme/openapi-schema-validator) when loaded.
//
//   const api = await ManagementApi.open(app.url);
//   const answer = await api.call('POST', '/users', { token, body: { email, password } });
//   expect(answer.status).toBe(201);
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body; undefined when there is none. */
  body: unknown;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON (application/json). */
  body?: unknown;
  /** A raw body, sent as is (with `headers` giving its content type). */
  rawBody?: string;
  headers?: Record<string, string>;
}

type OpenApiDocument = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> }>> };

const escapePointer = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');

/** Whether the document is valid OpenAPI 3.1; the validator's errors otherwise. */
export async function validateOpenApiDocument(document: unknown): Promise<{ valid: boolean; errors: unknown }> {
  const validator = new Validator();
  const result = await validator.validate(document as Record<string, unknown>);
  return { valid: result.valid && validator.version === '3.1', errors: result.errors };
}

export class ManagementApi {
  /** `operationId status` of every answer checked: which operations and outcomes a test file went through. */
  readonly seen = new Set<string>();
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp }[];

  private constructor(
    private readonly base: string,
    readonly document: OpenApiDocument,
  ) {
    // strict off: the document is OpenAPI, whose own members (paths, responses) are not JSON Schema keywords.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    this.ajv.addFormat('date-time', { validate: (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value)) });
    this.ajv.addSchema(document, 'openapi.json');
    this.templates = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[A-Za-z0-9_]+\\?\}/g, '[^/]+')}$`),
    }));
  }

  /** Loads the document of the app at `appUrl` and checks it is valid OpenAPI 3.1. */
  static async open(appUrl: string): Promise<ManagementApi> {
    const response = await fetch(`${appUrl}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as OpenApiDocument;
    const { valid, errors } = await validateOpenApiDocument(document);
    expect(errors).toBeUndefined();
    expect(valid).toBe(true);
    return new ManagementApi(`${appUrl}/api/v1`, document);
  }

  /** Calls the API and checks the answer against the document. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }), ...options.headers };
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.base}${path}`, { method, headers, body });
    const text = await response.text();
    const answer: ApiAnswer = { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    this.check(method, path, answer);
    return answer;
  }

  /** The answer fits what the document declares for this operation and status (a problem for paths it has not). */
  check(method: string, path: string, answer: ApiAnswer): void {
    const pathOnly = path.split('?')[0] ?? path;
    const template = this.templates.find((candidate) => candidate.pattern.test(pathOnly))?.template;
    const operation = template === undefined ? undefined : this.document.paths[template]?.[method.toLowerCase()];
    const contentType = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (!template || !operation) {
      // Nothing declared here (unknown path or method): still a problem document.
      expect(contentType, `${method} ${path}`).toBe('application/problem+json');
      this.validate('#/components/schemas/Problem', answer.body, `${method} ${path}`);
      return;
    }
    const status = String(answer.status);
    const declared = operation.responses[status] ? status : 'default';
    expect(operation.responses[declared], `${operation.operationId} answered ${status}, which it does not declare`).toBeDefined();
    this.seen.add(`${operation.operationId} ${status}`);
    const content = operation.responses[declared]?.content;
    if (content === undefined) {
      expect(answer.body, `${operation.operationId} ${status} has no body`).toBeUndefined();
      return;
    }
    expect(Object.keys(content), `${operation.operationId} ${status} content type`).toContain(contentType);
    this.validate(
      `#/paths/${escapePointer(template)}/${method.toLowerCase()}/responses/${declared}/content/${escapePointer(contentType)}/schema`,
      answer.body,
      `${operation.operationId} ${status}`,
    );
  }

  private validate(pointer: string, body: unknown, label: string): void {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json${pointer}` });
      this.validators.set(pointer, validate);
    }
    const valid = validate(body);
    expect(validate.errors ?? [], `${label}: ${JSON.stringify(body)}`).toEqual([]);
    expect(valid).toBe(true);
  }
}
