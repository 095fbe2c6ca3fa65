import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument, type OpenApiDocument } from '../../src/http/openapi/document';

/**
 * Checks a response against /openapi.json: its operation must be documented, its status listed
 * for that operation, and its body valid against that status's schema (JSON Schema 2020-12,
 * OpenAPI 3.1's dialect). Every API test's responses go through here (see checked-request.ts).
 */

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

/** HTML pages and their files: not part of the JSON API the document describes. */
const PAGE_PREFIXES = ['/docs', '/demo'];

interface ResponseObject {
  content?: Record<string, { schema?: object }>;
}
interface OperationObject {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}

export interface DocumentedOperation {
  key: string;
  method: Method;
  template: string;
  pattern: RegExp;
  operation: OperationObject;
}

export interface ReceivedResponse {
  method: string;
  /** The path as sent, with any query string. */
  path: string;
  status: number;
  body: unknown;
  text: string;
}

/** `OpenAPI's {id}` templates as anchored regular expressions. */
function patternOf(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}/?$`);
}

export function documentedOperations(document: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(document.paths ?? {}).flatMap(([template, item]) =>
    METHODS.flatMap((method) => {
      const operation = (item as Record<string, OperationObject | undefined>)[method];
      return operation
        ? [
            {
              key: `${method.toUpperCase()} ${template}`,
              method,
              template,
              pattern: patternOf(template),
              operation,
            },
          ]
        : [];
    }),
  );
}

/** An Ajv for the document's schemas: `#/components/schemas/X` becomes `#/$defs/X`. */
function createValidator(document: OpenApiDocument): (schema: object) => ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  ajv.addKeyword('example');
  const defs = rewriteRefs(document.components?.schemas ?? {}) as Record<string, object>;
  const cache = new Map<object, ValidateFunction>();
  return (schema) => {
    let validate = cache.get(schema);
    if (!validate) {
      validate = ajv.compile({ ...(rewriteRefs(schema) as object), $defs: defs });
      cache.set(schema, validate);
    }
    return validate;
  };
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string'
        ? inner.replace('#/components/schemas/', '#/$defs/')
        : rewriteRefs(inner),
    ]),
  );
}

export interface ContractCheck {
  /** The operation the response belongs to, when it matched one. */
  operationKey?: string;
  /** What is wrong, in words that name what to change; undefined when all is well. */
  problem?: string;
}

export function createContractChecker(document: OpenApiDocument = openApiDocument()) {
  const operations = documentedOperations(document);
  const validatorFor = createValidator(document);
  function validateBody(schema: object | undefined, response: ReceivedResponse): string[] {
    if (!schema) return response.text === '' ? [] : ['a body where none is documented'];
    const validate = validatorFor(schema);
    if (validate(response.body)) return [];
    return (validate.errors ?? []).map(
      (error) => `${error.instancePath || '(body)'} ${error.message ?? ''}`,
    );
  }

  return function check(response: ReceivedResponse): ContractCheck {
    const method = response.method.toLowerCase();
    const path = new URL(response.path, 'http://keycard.test').pathname;
    // A CORS preflight is answered by the cors middleware before any route.
    if (method === 'options') return {};
    if (PAGE_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) {
      return {};
    }
    const said = `${response.method.toUpperCase()} ${path} answered ${response.status}`;
    const matched = operations.find((op) => op.method === method && op.pattern.test(path));
    if (!matched) {
      // Nothing is there: the catch-all 404, which every client may meet.
      if (response.status === 404 && isNotFound(response.body)) return {};
      return {
        problem:
          `${said}, but /openapi.json has no operation ${method.toUpperCase()} for that path: ` +
          'add the route to a list in src/http/openapi/operations/',
      };
    }
    const documented = matched.operation.responses ?? {};
    const responseObject = documented[String(response.status)];
    if (!responseObject) {
      return {
        operationKey: matched.key,
        problem:
          `${said}${codeOf(response.body)}, a status /openapi.json does not list for ` +
          `${matched.key} (it lists ${Object.keys(documented).join(', ')}): add the code to ` +
          `that operation's errors in src/http/openapi/operations/`,
      };
    }
    const problems = validateBody(responseObject.content?.['application/json']?.schema, response);
    if (problems.length === 0) return { operationKey: matched.key };
    return {
      operationKey: matched.key,
      problem:
        `${said}${codeOf(response.body)} with a body that does not match /openapi.json for ` +
        `${matched.key}: ${problems.join('; ')}\nbody: ${response.text.slice(0, 500)}`,
    };
  };
}

/** Exactly the catch-all's `{"error": "Not found", "code": "not_found"}`. */
function isNotFound(body: unknown): boolean {
  return JSON.stringify(body) === JSON.stringify({ error: 'Not found', code: 'not_found' });
}

function codeOf(body: unknown): string {
  const code = typeof body === 'object' && body !== null && (body as { code?: unknown }).code;
  return typeof code === 'string' ? ` (${code})` : '';
}
