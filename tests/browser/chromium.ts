import { existsSync } from 'node:fs';

/**
 * The browser the browser tests drive: Debian's chromium package (or CHROMIUM_PATH), never a
 * downloaded one. Read by jest.config.ts, which leaves tests/browser/ out when it is missing.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): {
  path: string;
  found: boolean;
} {
  const path = env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium';
  return { path, found: existsSync(path) };
}

/** KEYCARD_REQUIRE_BROWSER=1 (set by .ci/run): a missing browser fails the run, not skips it. */
export function browserRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.KEYCARD_REQUIRE_BROWSER === '1';
}
