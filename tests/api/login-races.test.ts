import { KeycardError } from '../../src/core/errors';
import { startSession } from '../../src/core/sessions';
import {
  appsClosedAfterAll,
  bearer,
  createUser,
  request,
  type CreatedUser,
  type TestApp,
} from '../helpers/test-app';

const appWith = appsClosedAfterAll('login_races');

function login(testApp: TestApp, email: string, password: string) {
  return request(testApp.app).post('/api/auth/login').send({ email, password });
}

function changePassword(testApp: TestApp, owner: CreatedUser, newPassword: string) {
  return request(testApp.app)
    .put('/api/profile/password')
    .set(bearer(owner.token))
    .send({ currentPassword: owner.password, newPassword });
}

/** Holds the next password comparison until released, as a slow bcrypt would. */
function holdNextComparison(testApp: TestApp) {
  const hasher = testApp.context.core.hasher;
  const realCompare = hasher.compare.bind(hasher);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const comparing = new Promise<void>((resolve) => (started = resolve));
  let held = false;
  const spy = jest.spyOn(hasher, 'compare').mockImplementation(async (...args) => {
    if (held) return realCompare(...args);
    held = true;
    const result = await realCompare(...args);
    started();
    await released;
    return result;
  });
  return { comparing, release, restore: () => spy.mockRestore() };
}

describe('a login racing a password change', () => {
  it('when its check of the old password ends after the change answered, gets 401 and no session', async () => {
    const testApp = await appWith({});
    const owner = await createUser(testApp);
    const hold = holdNextComparison(testApp);
    try {
      const racing = login(testApp, owner.user.email, owner.password).then((response) => response);
      await hold.comparing;
      expect((await changePassword(testApp, owner, 'brand new password 1')).status).toBe(204);
      hold.release();
      const response = await racing;
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('invalid_credentials');
      expect(response.body.token).toBeUndefined();
    } finally {
      hold.restore();
    }
    const live = await testApp.context.core.sessions.countDocuments({
      userId: owner.user._id,
      revokedAt: null,
    });
    // Only the session that made the change is left.
    expect(live).toBe(1);
  });

  it('a session opened from a check made before the change is refused by authenticate and refresh', async () => {
    const testApp = await appWith({});
    const owner = await createUser(testApp);
    // What a login that read the user before the change would have created afterwards.
    const before = await testApp.context.core.users.findById(owner.user._id).orFail();
    expect((await changePassword(testApp, owner, 'brand new password 2')).status).toBe(204);
    const issued = await startSession(testApp.context.core, before, {
      userAgent: 'late login',
      ip: '127.0.0.1',
    });
    const { token } = testApp.context.core.tokens.signAccessToken({
      id: owner.user.id as string,
      role: 'user',
      sessionId: issued.session._id.toHexString(),
    });
    const profile = await request(testApp.app).get('/api/profile').set(bearer(token));
    expect(profile.status).toBe(401);
    expect(profile.body.code).toBe('session_revoked');
    const refreshed = await request(testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: issued.refreshToken });
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.code).toBe('session_revoked');
    // The session that changed the password keeps working.
    await request(testApp.app).get('/api/profile').set(bearer(owner.token)).expect(200);
  });

  it('logout-all also kills a session that a login in flight creates after it', async () => {
    const testApp = await appWith({});
    const owner = await createUser(testApp);
    const before = await testApp.context.core.users.findById(owner.user._id).orFail();
    await request(testApp.app).post('/api/auth/logout-all').set(bearer(owner.token)).expect(204);
    const late = await startSession(testApp.context.core, before, { userAgent: '', ip: '' });
    const refreshed = await request(testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: late.refreshToken });
    expect(refreshed.body.code).toBe('session_revoked');
  });
});

describe('accounts and sessions stored before the credentials version existed', () => {
  it('log in, authenticate and refresh as before', async () => {
    const testApp = await appWith({});
    const owner = await createUser(testApp);
    await testApp.connection
      .collection('users')
      .updateOne({ _id: owner.user._id }, { $unset: { credentialsVersion: '' } });
    await testApp.connection
      .collection('sessions')
      .updateMany({ userId: owner.user._id }, { $unset: { credentialsVersion: '' } });
    await request(testApp.app).get('/api/profile').set(bearer(owner.token)).expect(200);
    await request(testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: owner.refreshToken })
      .expect(200);
    expect((await login(testApp, owner.user.email, owner.password)).status).toBe(200);
  });
});

describe('failure counts', () => {
  it('eight parallel correct logins from one address all get 200', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '5' });
    const owner = await createUser(testApp);
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => login(testApp, owner.user.email, owner.password)),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
  });

  it('a login that dies for another reason than a wrong password leaves no failure behind', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '3' });
    const owner = await createUser(testApp);
    const compare = jest
      .spyOn(testApp.context.core.hasher, 'compare')
      .mockRejectedValue(new Error('password worker exited'));
    try {
      for (let attempt = 0; attempt < 4; attempt += 1) {
        expect((await login(testApp, owner.user.email, 'wrong password')).status).toBe(500);
      }
    } finally {
      compare.mockRestore();
    }
    expect((await login(testApp, owner.user.email, 'wrong password')).status).toBe(401);
    expect((await login(testApp, owner.user.email, 'wrong password')).status).toBe(401);
    expect((await login(testApp, owner.user.email, owner.password)).status).toBe(200);
  });

  it('a login refused because the password queue is full answers 503 with Retry-After and counts nothing', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '2' });
    const owner = await createUser(testApp);
    const compare = jest
      .spyOn(testApp.context.core.hasher, 'compare')
      .mockRejectedValue(
        new KeycardError('service_unavailable', { message: 'queue full', retryAfterSeconds: 3 }),
      );
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const response = await login(testApp, owner.user.email, 'wrong password');
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ error: 'queue full', code: 'service_unavailable' });
        expect(response.headers['retry-after']).toBe('3');
      }
    } finally {
      compare.mockRestore();
    }
    expect((await login(testApp, owner.user.email, owner.password)).status).toBe(200);
  });
});
