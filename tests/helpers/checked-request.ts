import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { openApiDocument } from '../../src/http/openapi/document';
import { createContractChecker, documentedOperations } from './openapi-check';

/**
 * supertest's `request(app)`, with every response checked against /openapi.json before the
 * test sees it: an undocumented route or status, or a body off its schema, fails the test that
 * received it. The operations each test file exercised are written down at its end, and the
 * OpenAPI coverage reporter (tests/setup/openapi-coverage-reporter.mjs) fails a full run in
 * which a documented operation was never exercised.
 */

const check = createContractChecker();
const exercised = new Set<string>();

type App = Parameters<typeof supertest>[0];
type Test = supertest.Test;
type EndCallback = Parameters<Test['end']>[0];

function checked(test: Test): Test {
  const end = test.end.bind(test);
  test.end = (callback?: EndCallback) =>
    end((error, response) => {
      let failure: Error | null = error;
      if (response) {
        const request = (response as unknown as { req: { method: string; path: string } }).req;
        const { operationKey, problem } = check({
          method: request.method,
          path: request.path,
          status: response.status,
          body: response.body,
          text: response.text ?? '',
        });
        if (operationKey) exercised.add(operationKey);
        if (problem && !failure) failure = new Error(`OpenAPI contract: ${problem}`);
      }
      callback?.(failure, response);
    });
  return test;
}

const VERBS = ['get', 'post', 'put', 'patch', 'delete', 'options', 'head'] as const;
type Verb = (typeof VERBS)[number];
type CheckedAgent = Pick<ReturnType<typeof supertest>, Verb>;

export function request(app: App): CheckedAgent {
  const agent = supertest(app);
  return Object.fromEntries(
    VERBS.map((verb) => [verb, (url: string) => checked(agent[verb](url))]),
  ) as CheckedAgent;
}

afterAll(() => {
  const directory = process.env.KEYCARD_OPENAPI_LOG_DIR;
  if (!directory || exercised.size === 0) return;
  const record = {
    documented: documentedOperations(openApiDocument()).map((operation) => operation.key),
    exercised: [...exercised],
  };
  writeFileSync(join(directory, `${randomBytes(6).toString('hex')}.json`), JSON.stringify(record));
});
