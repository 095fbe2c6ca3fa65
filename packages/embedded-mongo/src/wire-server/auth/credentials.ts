import { randomBytes } from 'node:crypto';

/** The one user a wire server with authentication accepts; it may run every command. */
export interface WireCredentials {
  username: string;
  password: string;
}

/**
 * `true` asks for random credentials, made for this run only; an object gives them. Anything
 * else (false, undefined) leaves the server open to every client that can reach its port.
 */
export type AuthOption = boolean | WireCredentials | undefined;

// Printable ASCII is where SASLprep, which the driver applies to SCRAM-SHA-256 passwords, is the
// identity: the server can then derive the same keys without a Unicode normalisation table.
const printableAscii = /^[\x20-\x7e]+$/;
const maxLength = 1024;

function checkText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new Error(`wire server ${name} must be a string of 1 to ${maxLength} characters`);
  }
  if (!printableAscii.test(value)) {
    throw new Error(`wire server ${name} may contain only printable ASCII characters`);
  }
  return value;
}

/**
 * Random credentials for one run: 128 bits of name and 192 of password, from the operating
 * system's CSPRNG, in characters that need no escaping in a URI.
 */
export function generateCredentials(): WireCredentials {
  return {
    username: `keycard-${randomBytes(16).toString('hex')}`,
    password: randomBytes(24).toString('base64url'),
  };
}

/** The credentials the server will demand, or undefined when it demands none. */
export function resolveCredentials(option: AuthOption): WireCredentials | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return generateCredentials();
  return {
    username: checkText(option.username, 'username'),
    password: checkText(option.password, 'password'),
  };
}

/**
 * A mongodb:// URI for `host:port`, carrying the credentials when there are any. authSource is
 * spelled out because the driver would otherwise authenticate against the URI's database.
 */
export function connectionUri(
  host: string,
  port: number,
  credentials: WireCredentials | undefined,
): string {
  if (!credentials) return `mongodb://${host}:${port}/`;
  const user = encodeURIComponent(credentials.username);
  const password = encodeURIComponent(credentials.password);
  return `mongodb://${user}:${password}@${host}:${port}/?authSource=admin`;
}
