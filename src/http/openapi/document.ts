import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { REFRESH_COOKIE } from '../auth-cookies';
import { registerOperation, type Operation } from './operation';
import { adminOperations } from './operations/admin';
import { authOperations } from './operations/auth';
import { profileOperations } from './operations/profile';
import { rootOperations } from './operations/root';
import { sessionOperations } from './operations/sessions';

/** Every route keycard answers. A new route goes into one of these lists, and nowhere else. */
export const OPERATIONS: readonly Operation[] = [
  ...rootOperations,
  ...authOperations,
  ...sessionOperations,
  ...profileOperations,
  ...adminOperations,
];

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

let generated: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document, generated once per process from the routes' own zod schemas. */
export function openApiDocument(): OpenApiDocument {
  generated ??= generateDocument(OPERATIONS);
  return generated;
}

export function generateDocument(operations: readonly Operation[]): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The access token from register, login or refresh',
  });
  registry.registerComponent('securitySchemes', 'refreshCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: REFRESH_COOKIE,
    description:
      'The refresh token as an HttpOnly cookie (Path=/api/auth), set when a sign-in sends ' +
      '`X-Refresh-Token-Transport: cookie`. Requests using it need an allowed Origin.',
  });
  for (const operation of operations) registerOperation(registry, operation);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'keycard',
      version: '0.1.0',
      description:
        'JWT authentication API. Every error is `{"error", "code"}`; `code` is stable. ' +
        'Generated at start-up from the zod schemas the routes validate with.',
    },
    tags: [
      { name: 'Service' },
      { name: 'Auth', description: 'Signing in and out' },
      { name: 'Sessions', description: 'A user’s own sessions' },
      { name: 'Profile' },
      { name: 'Admin', description: 'Role admin only' },
    ],
  });
}

/** `GET /api/admin/users/:id`: the list GET / shows, in Express's notation. */
export function endpointList(operations: readonly Operation[] = OPERATIONS): string[] {
  return operations.map(
    ({ method, path }) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
  );
}
