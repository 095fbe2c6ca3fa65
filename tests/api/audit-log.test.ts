import {
  bearer,
  createTestApp,
  createUser,
  request,
  TEST_SECRET,
  type TestApp,
} from '../helpers/test-app';

interface AuditLine {
  requestId?: string;
  audit?: {
    event: string;
    userId?: string;
    email?: string;
    actorId?: string;
    ip: string;
    at: string;
  };
}

const lines: string[] = [];
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp(
    'audit_log',
    { LOGIN_MAX_FAILURES: '2', CORS_ORIGINS: 'https://app.example.com' },
    { logLines: lines },
  );
});
afterAll(() => testApp.close());

const parsed = () => lines.map((line) => JSON.parse(line) as AuditLine);
const events = () => parsed().flatMap((line) => (line.audit ? [line.audit] : []));

describe('logs and audit events', () => {
  const password = 'audit password 1';
  const newPassword = 'audit password 2';
  const secrets: string[] = [password, newPassword, TEST_SECRET];

  it('records one audit event per security action and never a secret', async () => {
    const agent = request(testApp.app);
    const registered = await agent
      .post('/api/auth/register')
      .set('X-Refresh-Token-Transport', 'cookie')
      .send({ name: 'Audited', email: 'audited@example.com', password });
    const userId = registered.body.user.id as string;
    const cookie = ([] as string[]).concat(registered.headers['set-cookie'] ?? [])[0] as string;
    secrets.push(registered.body.token, cookie.split(';')[0]?.split('=')[1] as string);

    await agent.post('/api/auth/login').send({ email: 'audited@example.com', password: 'wrong-1' });
    await agent.post('/api/auth/login').send({ email: 'audited@example.com', password: 'wrong-2' });
    secrets.push('wrong-1', 'wrong-2');
    // The pair is locked now; a login from another app instance's point of view would be 429.
    await testApp.connection.collection('login_gates').deleteMany({});

    const loggedIn = await agent
      .post('/api/auth/login')
      .set('User-Agent', 'audit-test')
      .send({ email: 'audited@example.com', password });
    secrets.push(loggedIn.body.token, loggedIn.body.refreshToken);
    const rotated = await agent
      .post('/api/auth/refresh')
      .send({ refreshToken: loggedIn.body.refreshToken });
    secrets.push(rotated.body.token, rotated.body.refreshToken);
    await testApp.context.core.sessions.updateMany({}, { $set: { rotatedAt: new Date(0) } });
    const reused = await agent
      .post('/api/auth/refresh')
      .send({ refreshToken: loggedIn.body.refreshToken });
    expect(reused.body.code).toBe('refresh_token_reused');

    await agent
      .put('/api/profile/password')
      .set(bearer(registered.body.token))
      .send({ currentPassword: password, newPassword })
      .expect(204);
    await agent.post('/api/auth/logout').set(bearer(registered.body.token)).expect(204);

    const admin = await createUser(testApp, { role: 'admin' });
    const second = await createUser(testApp, { role: 'admin' });
    secrets.push(admin.token, admin.password, admin.refreshToken, second.token);
    await agent.post('/api/auth/logout-all').set(bearer(second.token)).expect(204);
    await agent
      .patch(`/api/admin/users/${userId}`)
      .set(bearer(admin.token))
      .send({ role: 'admin' })
      .expect(200);
    await agent.delete(`/api/admin/users/${userId}`).set(bearer(admin.token)).expect(204);

    const recorded = events();
    expect(recorded.map((event) => event.event)).toEqual([
      'register',
      'email_verification_requested',
      'login_failure',
      'login_failure',
      'lockout',
      'login_success',
      'refresh_reuse',
      'password_change',
      'logout',
      'logout_all',
      'role_change',
      'user_deletion',
    ]);
    for (const event of recorded) {
      expect(event.ip).toMatch(/127\.0\.0\.1|::1/);
      expect(Number.isNaN(Date.parse(event.at))).toBe(false);
      expect(event.userId ?? event.email).toBeDefined();
    }
    expect(recorded[2]).toMatchObject({ email: 'audited@example.com' });
    expect(recorded[10]).toMatchObject({
      userId,
      actorId: admin.user.id,
      from: 'user',
      to: 'admin',
    });

    const text = lines.join('\n');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(5);
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/\$2[aby]\$/);
  });

  it('puts a request id on every request line and in X-Request-Id', async () => {
    lines.length = 0;
    const response = await request(testApp.app).get('/api/profile?token=abc.def.ghi');
    const id = response.headers['x-request-id'];
    const requestLines = parsed().filter((line) => line.requestId !== undefined);
    expect(requestLines.length).toBeGreaterThan(0);
    expect(requestLines.every((line) => line.requestId === id)).toBe(true);
    expect(lines.join('\n')).not.toContain('abc.def.ghi');
  });
});
