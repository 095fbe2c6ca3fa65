import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ERROR_CATALOGUE, ERROR_CODES } from '../../src/core/errors';
import { endpointList, OPERATIONS } from '../../src/http/openapi/document';
import { createContractChecker, documentedOperations } from '../helpers/openapi-check';
import { createTestApp, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('openapi');
});
afterAll(() => testApp.close());

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, object> };
}
interface Operation {
  operationId: string;
  security: object[];
  responses: Record<string, { content?: { 'application/json': { schema: Schema } } }>;
}
interface Schema {
  properties?: { code?: { enum?: string[] } };
  anyOf?: Schema[];
}

async function fetchDocument(): Promise<Document> {
  const response = await request(testApp.app).get('/openapi.json').expect(200);
  return response.body as Document;
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with the two security schemes', async () => {
    const document = await fetchDocument();
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      refreshCookie: expect.objectContaining({
        type: 'apiKey',
        in: 'cookie',
        name: 'keycard_refresh',
      }),
    });
  });

  it('has an operation for every route, each with an id, and GET / lists the same ones', async () => {
    const document = await fetchDocument();
    const operations = documentedOperations(document as never);
    expect(operations).toHaveLength(OPERATIONS.length);
    for (const { operation } of operations) expect(operation.operationId).toBeTruthy();
    const welcome = await request(testApp.app).get('/').expect(200);
    expect(welcome.body.endpoints).toEqual(endpointList());
    expect(welcome.body.endpoints).toEqual(
      operations.map(({ key }) => key.replace(/\{(\w+)\}/g, ':$1')),
    );
  });

  it('documents under each error status exactly the catalogue codes of that status', async () => {
    const document = await fetchDocument();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          const schema = response.content?.['application/json'].schema as Schema;
          const variants = schema.anyOf ?? [schema];
          const codes = variants.flatMap((variant) => variant.properties?.code?.enum ?? []);
          expect({ at: `${method} ${path} ${status}`, codes: codes.length > 0 }).toEqual({
            at: `${method} ${path} ${status}`,
            codes: true,
          });
          for (const code of codes) {
            expect(ERROR_CODES).toContain(code);
            expect(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status).toBe(
              Number(status),
            );
          }
        }
      }
    }
  });

  it('marks the authenticated routes with the bearer scheme and refresh with the cookie', async () => {
    const { paths } = await fetchDocument();
    expect(paths['/api/profile']?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(paths['/api/auth/refresh']?.post?.security).toEqual([{}, { refreshCookie: [] }]);
    expect(paths['/api/auth/login']?.post?.security).toEqual([]);
  });

  it('has examples that are valid against their own schemas', async () => {
    const document = await fetchDocument();
    const ajv = new Ajv2020({ strict: true });
    addFormats(ajv);
    ajv.addKeyword('example');
    const withExamples = Object.entries(document.components.schemas).filter(
      ([, schema]) => 'example' in schema,
    );
    expect(withExamples.map(([name]) => name)).toEqual(
      expect.arrayContaining(['RegisterRequest', 'LoginRequest', 'AuthResponse', 'User']),
    );
    const defs = JSON.parse(
      JSON.stringify(document.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'),
    ) as Record<string, { example: unknown }>;
    for (const [name] of withExamples) {
      const validate = ajv.compile({ $ref: `#/$defs/${name}`, $defs: defs });
      expect({ name, valid: validate(defs[name]?.example), errors: validate.errors }).toEqual({
        name,
        valid: true,
        errors: null,
      });
    }
  });
});

describe('the contract check every API test goes through', () => {
  const check = createContractChecker();
  const user = {
    id: '665f1c2e8a1b2c3d4e5f6a7b',
    name: 'Ada',
    email: 'ada@example.com',
    role: 'user',
    emailVerified: false,
    createdAt: '2025-01-15T09:30:00.000Z',
    updatedAt: '2025-01-15T09:30:00.000Z',
  };
  const response = (method: string, path: string, status: number, body: unknown) => ({
    method,
    path,
    status,
    body,
    text: body === undefined ? '' : JSON.stringify(body),
  });

  it('accepts a documented status with a body that matches', () => {
    expect(check(response('GET', '/api/profile', 200, { user }))).toEqual({
      operationKey: 'GET /api/profile',
    });
  });

  it('refuses a status the operation does not list, naming it and where to add it', () => {
    const result = check(response('GET', '/api/profile', 409, { error: 'x', code: 'email_taken' }));
    expect(result.problem).toMatch(
      /GET \/api\/profile answered 409 \(email_taken\), a status \/openapi.json does not list for GET \/api\/profile .*src\/http\/openapi\/operations\//,
    );
  });

  it('refuses a route the document does not have', () => {
    const result = check(response('POST', '/api/auth/forgot-password', 202, {}));
    expect(result.problem).toMatch(
      /POST \/api\/auth\/forgot-password answered 202, but \/openapi.json has no operation POST/,
    );
  });

  it('refuses a body with a field the schema does not allow (a leak)', () => {
    const result = check(
      response('GET', '/api/profile', 200, { user: { ...user, password: '$2b$…' } }),
    );
    expect(result.problem).toMatch(/must NOT have additional properties/);
  });

  it('refuses an error code the operation does not list under that status', () => {
    const result = check(
      response('GET', '/api/profile', 401, { error: 'x', code: 'invalid_credentials' }),
    );
    expect(result.problem).toMatch(/must be equal to one of the allowed values/);
  });

  it('accepts the catch-all 404 anywhere, and nothing else on an unknown path', () => {
    const notFound = { error: 'Not found', code: 'not_found' };
    expect(check(response('GET', '/no/such/path', 404, notFound))).toEqual({});
    expect(check(response('DELETE', '/api/auth/login', 404, notFound))).toEqual({});
    expect(check(response('GET', '/no/such/path', 200, {})).problem).toBeDefined();
  });

  it('accepts a body-less 204 and refuses a body where none is documented', () => {
    expect(check(response('DELETE', `/api/auth/sessions/${user.id}`, 204, undefined))).toEqual({
      operationKey: 'DELETE /api/auth/sessions/{id}',
    });
    expect(
      check(response('DELETE', `/api/auth/sessions/${user.id}`, 204, { ok: true })).problem,
    ).toMatch(/a body where none is documented/);
  });
});
