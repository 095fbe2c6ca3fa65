// A Jest reporter, in plain JavaScript because Jest loads reporters without a transform.
// After a run that included every API test file, it fails the run when an operation of
// /openapi.json was never exercised by any test: the list is written by each test file's
// checked request helper (tests/helpers/checked-request.ts) into KEYCARD_OPENAPI_LOG_DIR.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const API_TESTS = resolve(import.meta.dirname, '..', 'api');

export default class OpenApiCoverageReporter {
  #error = undefined;

  onRunComplete(_contexts, results) {
    const directory = process.env.KEYCARD_OPENAPI_LOG_DIR;
    if (!directory) return;
    const records = readdirSync(directory).map((name) =>
      JSON.parse(readFileSync(join(directory, name), 'utf8')),
    );
    rmSync(directory, { recursive: true, force: true });
    const ran = new Set(results.testResults.map((result) => result.testFilePath));
    const apiFiles = readdirSync(API_TESTS)
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => join(API_TESTS, name));
    if (!apiFiles.every((file) => ran.has(file))) return;
    const documented = new Set(records.flatMap((record) => record.documented));
    const exercised = new Set(records.flatMap((record) => record.exercised));
    const missing = [...documented].filter((operation) => !exercised.has(operation));
    if (missing.length === 0) {
      console.log(`OpenAPI coverage: all ${documented.size} documented operations exercised.`);
      return;
    }
    const message =
      `OpenAPI coverage: ${missing.length} documented operation(s) never exercised by a ` +
      `test through tests/helpers' request: ${missing.join(', ')}`;
    console.error(`\n${message}\n`);
    this.#error = new Error(message);
  }

  getLastError() {
    return this.#error;
  }
}
