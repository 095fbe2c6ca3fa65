import type { Config } from 'jest';
import { browserRequired, findChromium } from './tests/browser/chromium';
import { findNginx, nginxRequired } from './tests/helpers/nginx';

const chromium = findChromium();
if (!chromium.found) {
  const reason =
    `no Chromium at ${chromium.path} (set CHROMIUM_PATH, or install Debian's chromium package: ` +
    'apt-get install chromium)';
  if (browserRequired()) {
    throw new Error(`KEYCARD_REQUIRE_BROWSER=1 but ${reason}`);
  }
  console.log(`\nBrowser tests SKIPPED: ${reason}. tests/browser/ is not run.\n`);
}

const nginx = findNginx();
if (!nginx.found) {
  const reason =
    `no nginx at ${nginx.path} (set NGINX_PATH, or install Debian's nginx package: ` +
    'apt-get install nginx)';
  if (nginxRequired()) {
    throw new Error(`KEYCARD_REQUIRE_NGINX=1 but ${reason}`);
  }
  console.log(`\nProxy tests SKIPPED: ${reason}. tests/proxy/ is not run.\n`);
}

const keycard: Config = {
  displayName: 'keycard',
  testEnvironment: 'node',
  // Resolve @keycard/embedded-mongo to its TypeScript source, so tests never run a stale build.
  testEnvironmentOptions: { customExportConditions: ['keycard-source', 'node', 'node-addons'] },
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // Without a browser or nginx, their tests are not registered at all (nothing is left skipped).
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(chromium.found ? [] : ['/tests/browser/']),
    ...(nginx.found ? [] : ['/tests/proxy/']),
  ],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
};

// keycard's own tests and the embedded-mongo package's, in one run and one JSON report.
const config: Config = {
  projects: [keycard, '<rootDir>/packages/embedded-mongo'],
  testTimeout: 20_000,
  // Fails a full run in which an operation of /openapi.json was never exercised.
  reporters: ['default', '<rootDir>/tests/setup/openapi-coverage-reporter.mjs'],
};

export default config;
