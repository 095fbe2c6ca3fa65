import mongoose from 'mongoose';
import { startNginx, type NginxProcess } from '../helpers/nginx';
import { freePort, killAll, pause, startKeycard } from '../helpers/real-processes';
import { testDatabase } from '../helpers/test-database';

// Two keycard processes on one database behind a real nginx: every piece of state that
// matters (sessions, refresh-token families, revocations, lockouts, rate limits) must be
// shared through the database, never kept in one instance. TRUST_PROXY=1: the one proxy's
// X-Forwarded-For entry names the client (see the README's deployment section for why not
// `loopback` when clients can be local).
jest.setTimeout(90_000);

const { uri, dbName } = testDatabase('proxy');
const databaseUri = `${uri.replace(/\/?$/, '/')}${dbName}`;
const MAX_ATTEMPTS_PER_IP = 40;
let proxy: NginxProcess | undefined;

beforeAll(async () => {
  const env = {
    MONGO_URI: databaseUri,
    TRUST_PROXY: '1',
    AUTH_CACHE_MAX_STALENESS: '100ms',
    LOGIN_MAX_FAILURES: '3',
    LOGIN_MAX_ATTEMPTS_PER_IP: String(MAX_ATTEMPTS_PER_IP),
  };
  const [first, second] = await Promise.all([startKeycard(env), startKeycard(env)]);
  proxy = await startNginx({ port: await freePort(), upstreams: [first.port, second.port] });
});
afterAll(async () => {
  await proxy?.close().catch(() => undefined);
  await killAll();
  const connection = await mongoose.createConnection(databaseUri).asPromise();
  await connection.dropDatabase();
  await connection.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  upstream: string;
  remaining: number;
}

async function send(
  method: string,
  path: string,
  options: { body?: object; token?: string; forwardedFor?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.body) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.forwardedFor) headers['x-forwarded-for'] = options.forwardedFor;
  const response = await fetch(`${proxy?.url}${path}`, {
    method,
    headers,
    body: options.body ? JSON.stringify(options.body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    upstream: response.headers.get('x-upstream') ?? '',
    remaining: Number(response.headers.get('ratelimit-remaining')),
  };
}

const login = (email: string, password: string, forwardedFor?: string) =>
  send('POST', '/api/auth/login', { body: { email, password }, forwardedFor });

async function register(email: string, password: string): Promise<Answer> {
  const answer = await send('POST', '/api/auth/register', {
    body: { name: 'Proxied', email, password },
  });
  expect(answer.status).toBe(201);
  return answer;
}

describe('two keycard instances behind nginx', () => {
  it('registers on one instance and logs in on the other', async () => {
    const registered = await register('across@example.com', 'across password 1');
    const loggedIn = await login('across@example.com', 'across password 1');
    expect(loggedIn.status).toBe(200);
    expect(loggedIn.upstream).not.toBe(registered.upstream);
    const profile = await send('GET', '/api/profile', { token: loggedIn.body.token as string });
    expect(profile.status).toBe(200);
    expect(profile.upstream).toBe(registered.upstream);
  });

  it('rotates refresh tokens across instances and detects a reuse on the other one', async () => {
    const registered = await register('rotate@example.com', 'rotate password 1');
    const first = registered.body.refreshToken as string;
    const rotated = await send('POST', '/api/auth/refresh', { body: { refreshToken: first } });
    expect(rotated.status).toBe(200);
    expect(rotated.upstream).not.toBe(registered.upstream);
    const second = rotated.body.refreshToken as string;
    // A retry of the same token within the grace window, on the other instance: same successor.
    const retried = await send('POST', '/api/auth/refresh', { body: { refreshToken: first } });
    expect(retried.upstream).not.toBe(rotated.upstream);
    expect(retried.status).toBe(200);
    expect(retried.body.refreshToken).toBe(second);
    const again = await send('POST', '/api/auth/refresh', { body: { refreshToken: second } });
    expect(again.status).toBe(200);
    const third = again.body.refreshToken as string;
    // The first token is now two rotations old: reuse, whichever instance sees it.
    const reused = await send('POST', '/api/auth/refresh', { body: { refreshToken: first } });
    expect(reused.upstream).not.toBe(again.upstream);
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('refresh_token_reused');
    // The reuse revoked the whole session, on both instances: the newest token is dead too.
    const after = [await send('POST', '/api/auth/refresh', { body: { refreshToken: third } })];
    after.push(await send('POST', '/api/auth/refresh', { body: { refreshToken: third } }));
    expect(after.map((answer) => answer.status)).toEqual([401, 401]);
    expect(new Set(after.map((answer) => answer.upstream)).size).toBe(2);
  });

  it('refuses an access token on the other instance after a logout on one', async () => {
    const registered = await register('logout@example.com', 'logout password 1');
    const token = registered.body.token as string;
    // Both instances have seen (and cached) the token before the logout.
    const seen = [await send('GET', '/api/profile', { token })];
    seen.push(await send('GET', '/api/profile', { token }));
    expect(seen.map((answer) => answer.status)).toEqual([200, 200]);
    expect(new Set(seen.map((answer) => answer.upstream)).size).toBe(2);
    const logout = await send('POST', '/api/auth/logout', { token });
    expect(logout.status).toBe(204);
    // AUTH_CACHE_MAX_STALENESS is 100 ms here: wait it out, then ask both instances.
    await pause(300);
    const after = [await send('GET', '/api/profile', { token })];
    after.push(await send('GET', '/api/profile', { token }));
    expect(after.map((answer) => answer.status)).toEqual([401, 401]);
    expect(new Set(after.map((answer) => answer.upstream)).size).toBe(2);
  });

  it('locks an email out after failures on both instances, whatever X-Forwarded-For says', async () => {
    await register('locked@example.com', 'locked password 1');
    const failures = [
      await login('locked@example.com', 'wrong password'),
      await login('locked@example.com', 'wrong password'),
      await login('locked@example.com', 'wrong password'),
    ];
    expect(failures.map((answer) => answer.status)).toEqual([401, 401, 401]);
    expect(new Set(failures.map((answer) => answer.upstream)).size).toBe(2);
    const locked = [
      await login('locked@example.com', 'locked password 1'),
      await login('locked@example.com', 'locked password 1', '203.0.113.7'),
      await login('locked@example.com', 'locked password 1', '198.51.100.1, 203.0.113.8'),
    ];
    expect(locked.map((answer) => answer.status)).toEqual([429, 429, 429]);
  });

  it('counts logins per client address across both instances; a sent X-Forwarded-For changes nothing', async () => {
    const spoofs = [undefined, '203.0.113.9', '10.0.0.1', '127.0.0.2', undefined, '::1'];
    const answers: Answer[] = [];
    for (const forwardedFor of spoofs) {
      // A new email each time: the per-email lockout must not be what answers.
      answers.push(await login(`nobody-${answers.length}@example.com`, 'wrong', forwardedFor));
    }
    expect(new Set(answers.map((answer) => answer.upstream)).size).toBe(2);
    const remaining = answers.map((answer) => answer.remaining);
    // One counter, whoever answered and whatever the client claimed: down by one each time.
    expect(remaining).toEqual(remaining.map((_, index) => (remaining[0] ?? 0) - index));
    while ((answers.at(-1)?.remaining ?? 0) > 0) {
      answers.push(await login(`nobody-${answers.length}@example.com`, 'wrong'));
    }
    expect(answers.length).toBeLessThanOrEqual(MAX_ATTEMPTS_PER_IP);
    const refused = await login('last@example.com', 'wrong', '192.0.2.55');
    expect(refused.status).toBe(429);
  });
});
