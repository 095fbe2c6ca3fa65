import type { Config } from 'jest';

const keycard: Config = {
  displayName: 'keycard',
  testEnvironment: 'node',
  // Resolve @keycard/embedded-mongo to its TypeScript source, so tests never run a stale build.
  testEnvironmentOptions: { customExportConditions: ['keycard-source', 'node', 'node-addons'] },
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
};

// keycard's own tests and the embedded-mongo package's, in one run and one JSON report.
const config: Config = {
  projects: [keycard, '<rootDir>/packages/embedded-mongo'],
  testTimeout: 20_000,
};

export default config;
