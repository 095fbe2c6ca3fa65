import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mongodLogin, mongodLoginFileName, rememberMongodLogin } from '../src/mongod-login';

// No mongod runs here: these check what the launcher would tell mongodb-memory-server, which
// creates the root user only through mongod's localhost exception (no user may exist yet).
describe('mongodLogin', () => {
  let dbPath: string;

  beforeEach(() => {
    dbPath = fs.mkdtempSync(path.join(os.tmpdir(), 'mongod-login-'));
  });

  afterEach(() => {
    fs.rmSync(dbPath, { recursive: true, force: true });
  });

  it('asks for no login without auth', () => {
    expect(mongodLogin(dbPath, undefined)).toBeUndefined();
    expect(mongodLogin(dbPath, false)).toBeUndefined();
  });

  it('in memory, makes new random credentials every time and keeps none', () => {
    const first = mongodLogin(undefined, true);
    const second = mongodLogin(undefined, true);
    expect(first).toMatchObject({ createUser: true, remember: false });
    expect(second?.credentials.password).not.toBe(first?.credentials.password);
  });

  it('in a new directory, creates a random user and remembers it, readable by its owner only', () => {
    const login = mongodLogin(dbPath, true);
    expect(login).toMatchObject({ createUser: true, remember: true });
    if (!login) throw new Error('no login');
    rememberMongodLogin(dbPath, login.credentials);
    const file = path.join(dbPath, mongodLoginFileName);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    // mongod wrote its files: the next start logs in as the same user, creating nothing.
    fs.writeFileSync(path.join(dbPath, 'WiredTiger'), '');
    expect(mongodLogin(dbPath, true)).toEqual({
      credentials: login.credentials,
      createUser: false,
      remember: false,
    });
  });

  it("creates a user in a mongod's directory that has data but no login yet (a run without auth)", () => {
    fs.writeFileSync(path.join(dbPath, 'WiredTiger'), '');
    expect(mongodLogin(dbPath, true)).toMatchObject({ createUser: true, remember: true });
  });

  it('ignores a login file left in a directory without mongod data, and replaces it', () => {
    const file = path.join(dbPath, mongodLoginFileName);
    fs.writeFileSync(file, JSON.stringify({ username: 'old', password: 'old' }), { mode: 0o644 });
    const login = mongodLogin(dbPath, true);
    expect(login).toMatchObject({ createUser: true, remember: true });
    if (!login) throw new Error('no login');
    rememberMongodLogin(dbPath, login.credentials);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(login.credentials);
  });

  it('with given credentials, creates the user only in a directory without mongod data', () => {
    const credentials = { username: 'app', password: 'a long random password' };
    expect(mongodLogin(dbPath, credentials)).toEqual({
      credentials,
      createUser: true,
      remember: false,
    });
    fs.writeFileSync(path.join(dbPath, 'WiredTiger'), '');
    expect(mongodLogin(dbPath, credentials)).toMatchObject({ createUser: false });
  });
});
