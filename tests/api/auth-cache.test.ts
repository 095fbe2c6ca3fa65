import {
  bearer,
  createTestApp,
  createUser,
  request,
  type CreatedUser,
  type TestApp,
} from '../helpers/test-app';

const STALENESS_MS = 200;
const apps: TestApp[] = [];

/** Two instances on one database, as behind a load balancer. */
async function twoInstances(env: Record<string, string> = {}): Promise<[TestApp, TestApp]> {
  const settings = { AUTH_CACHE_MAX_STALENESS: `${STALENESS_MS}ms`, ...env };
  const first = await createTestApp('auth_cache', settings);
  const second = await createTestApp('auth_cache', settings, { shareDatabaseWith: first });
  apps.push(second, first);
  return [first, second];
}

afterAll(async () => {
  for (const testApp of apps) await testApp.close();
});

const profile = (testApp: TestApp, token: string) =>
  request(testApp.app).get('/api/profile').set(bearer(token));

/** The status `GET /api/profile` settles on within `limitMs`, polling every 20 ms. */
async function settlesOn(testApp: TestApp, token: string, status: number, limitMs: number) {
  const started = Date.now();
  for (;;) {
    const response = await profile(testApp, token);
    if (response.status === status) return Date.now() - started;
    if (Date.now() - started > limitMs) return Number.POSITIVE_INFINITY;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function cachedOnBoth(first: TestApp, second: TestApp, user: CreatedUser): Promise<void> {
  await profile(first, user.token).expect(200);
  await profile(second, user.token).expect(200);
}

describe('the per-instance auth cache', () => {
  it.each([
    [
      'a logout',
      (first: TestApp, user: CreatedUser) =>
        request(first.app).post('/api/auth/logout').set(bearer(user.token)).expect(204),
    ],
    [
      'a logout everywhere',
      (first: TestApp, user: CreatedUser) =>
        request(first.app).post('/api/auth/logout-all').set(bearer(user.token)).expect(204),
    ],
  ])(
    'after %s on one instance, that instance refuses the token at once and the other within the bound',
    async (_label, act) => {
      const [first, second] = await twoInstances();
      const user = await createUser(first);
      await cachedOnBoth(first, second, user);
      await act(first, user);
      await profile(first, user.token).expect(401);
      expect(await settlesOn(second, user.token, 401, STALENESS_MS * 5)).toBeLessThan(
        STALENESS_MS * 5,
      );
    },
  );

  it('a password change, a role change and a deletion reach the other instance too', async () => {
    const [first, second] = await twoInstances();
    const admin = await createUser(first, { role: 'admin' });
    const changer = await createUser(first);
    const otherSession = await request(first.app)
      .post('/api/auth/login')
      .send({ email: changer.user.email, password: changer.password });
    const promoted = await createUser(first);
    const deleted = await createUser(first);
    for (const user of [changer, promoted, deleted]) await cachedOnBoth(first, second, user);
    await profile(second, otherSession.body.token).expect(200);

    await request(first.app)
      .put('/api/profile/password')
      .set(bearer(changer.token))
      .send({ currentPassword: changer.password, newPassword: 'a changed password' })
      .expect(204);
    await request(first.app)
      .patch(`/api/admin/users/${promoted.user.id as string}`)
      .set(bearer(admin.token))
      .send({ role: 'admin' })
      .expect(200);
    await request(first.app)
      .delete(`/api/admin/users/${deleted.user.id as string}`)
      .set(bearer(admin.token))
      .expect(204);

    const limit = STALENESS_MS * 5;
    expect(await settlesOn(second, otherSession.body.token, 401, limit)).toBeLessThan(limit);
    expect(await settlesOn(second, deleted.token, 401, limit)).toBeLessThan(limit);
    // The session that changed the password goes on working on both.
    await profile(second, changer.token).expect(200);
    const started = Date.now();
    let role = '';
    while (role !== 'admin' && Date.now() - started < limit) {
      role = (await profile(second, promoted.token)).body.user.role as string;
    }
    expect(role).toBe('admin');
  });

  it('serves what it read: a change written behind its back is not seen until an event names it', async () => {
    const [first] = await twoInstances();
    const user = await createUser(first);
    await profile(first, user.token).expect(200);
    await first.connection
      .collection('users')
      .updateOne({ _id: user.user._id }, { $set: { name: 'Changed Directly' } });
    expect((await profile(first, user.token)).body.user.name).toBe(user.user.name);
    await first.context.core.revocations.userChanged(user.user._id);
    expect((await profile(first, user.token)).body.user.name).toBe('Changed Directly');
  });

  it('with AUTH_CACHE=off reads the database on every request', async () => {
    const [first] = await twoInstances({ AUTH_CACHE: 'off' });
    const user = await createUser(first);
    await profile(first, user.token).expect(200);
    await first.connection
      .collection('sessions')
      .updateOne({ userId: user.user._id }, { $set: { revokedAt: new Date() } });
    await profile(first, user.token).expect(401);
  });

  it('when the event poller stops, serves nothing from the cache once the bound has passed', async () => {
    const [first] = await twoInstances();
    const user = await createUser(first);
    await profile(first, user.token).expect(200);
    await first.context.stopPolling();
    await new Promise((resolve) => setTimeout(resolve, STALENESS_MS * 2));
    await first.connection
      .collection('sessions')
      .updateOne({ userId: user.user._id }, { $set: { revokedAt: new Date() } });
    await profile(first, user.token).expect(401);
  });
});
