import fs from 'node:fs';
import path from 'node:path';
import {
  generateCredentials,
  resolveCredentials,
  type AuthOption,
  type WireCredentials,
} from './wire-server/auth/credentials';

/**
 * A mongod keeps its users in its dbpath, and once one exists the localhost exception that
 * creates the first is closed: credentials made afresh for a later run could never be added.
 * So a mongod with a dbPath and `auth: true` keeps the login it made in this file (mode 0600,
 * beside data files anyone who can read it could read anyway). The wire server needs none:
 * its users are not data, and its credentials are made anew every run.
 */
export const mongodLoginFileName = 'embedded-mongo-login.json';

export interface MongodLogin {
  credentials: WireCredentials;
  /** Create the root user through the localhost exception, even in a directory with data. */
  createUser: boolean;
  /** Write the credentials to the login file once mongod has created the user. */
  remember: boolean;
}

function readLogin(file: string): WireCredentials | undefined {
  if (!fs.existsSync(file)) return undefined;
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<WireCredentials>;
  const credentials = resolveCredentials({
    username: saved.username ?? '',
    password: saved.password ?? '',
  });
  if (!credentials) throw new Error(`${file} holds no login`);
  return credentials;
}

/** The login a mongod on `dbPath` demands; undefined when `auth` asks for none. */
export function mongodLogin(dbPath: string | undefined, auth: AuthOption): MongodLogin | undefined {
  if (auth === undefined || auth === false) return undefined;
  // A mongod's own data means the users it made are there too (or none, if it ran without auth).
  const hasData = dbPath !== undefined && fs.existsSync(path.join(dbPath, 'WiredTiger'));
  if (auth !== true || dbPath === undefined) {
    const credentials = resolveCredentials(auth);
    if (!credentials) return undefined;
    return { credentials, createUser: !hasData, remember: false };
  }
  const saved = hasData ? readLogin(path.join(dbPath, mongodLoginFileName)) : undefined;
  if (saved) return { credentials: saved, createUser: false, remember: false };
  return { credentials: generateCredentials(), createUser: true, remember: true };
}

export function rememberMongodLogin(dbPath: string, credentials: WireCredentials): void {
  const file = path.join(dbPath, mongodLoginFileName);
  // The mode applies only to a new file: a stale one (from a removed mongod) goes first.
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
}
