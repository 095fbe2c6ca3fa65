import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the browser tests put their screenshots: the README's own (docs/) only when
 * KEYCARD_UPDATE_SCREENSHOTS=1, so that a plain `npm test` leaves the working tree clean.
 */
export function screenshotPath(name: string): string {
  const directory =
    process.env.KEYCARD_UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs') : tmpdir();
  return join(directory, name);
}
