import { createDeviceTokens } from '../../src/core/device-tokens';
import {
  createTestApp,
  createUser,
  request,
  TEST_SECRET,
  type CreatedUser,
  type TestApp,
} from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  // Behind a proxy on loopback, so each test request can come "from" an address of its own.
  testApp = await createTestApp('device_tokens', {
    TRUST_PROXY: 'loopback',
    LOGIN_MAX_FAILURES: '3',
    LOGIN_MAX_FAILURES_PER_DAY: '5',
  });
});
afterAll(() => testApp.close());

let addressCounter = 0;
const freshAddress = () => `198.51.100.${(addressCounter += 1)}`;

function login(
  email: string,
  password: string,
  options: { from?: string; deviceToken?: string; cookie?: string } = {},
) {
  const call = request(testApp.app)
    .post('/api/auth/login')
    .set('X-Forwarded-For', options.from ?? freshAddress());
  if (options.deviceToken) call.set('X-Device-Token', options.deviceToken);
  if (options.cookie) call.set('Cookie', options.cookie);
  return call.send({ email, password });
}

/** 2 wrong passwords from each of 3 addresses: the email's daily cap for unknown devices. */
async function attack(victim: CreatedUser): Promise<void> {
  for (let address = 0; address < 3; address += 1) {
    const from = freshAddress();
    await login(victim.user.email, 'guess one', { from });
    await login(victim.user.email, 'guess two', { from });
  }
}

describe('device tokens', () => {
  it('a login answers with a device token in the body and an HttpOnly cookie', async () => {
    const owner = await createUser(testApp);
    const response = await login(owner.user.email, owner.password);
    expect(response.status).toBe(200);
    expect(response.body.deviceToken).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const cookie = (response.headers['set-cookie'] as unknown as string[]).find((line) =>
      line.startsWith('keycard_device='),
    );
    expect(cookie).toContain(`keycard_device=${response.body.deviceToken}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/api\/auth/);
  });

  it('when attackers exhaust the daily cap, a new device gets 429 but a known device logs in', async () => {
    const owner = await createUser(testApp);
    const known = await login(owner.user.email, owner.password);
    const deviceToken = known.body.deviceToken as string;
    await attack(owner);

    const newDevice = await login(owner.user.email, owner.password);
    expect(newDevice.status).toBe(429);
    expect(Number(newDevice.headers['retry-after'])).toBeGreaterThan(3600);

    const byHeader = await login(owner.user.email, owner.password, { deviceToken });
    expect(byHeader.status).toBe(200);
    const byCookie = await login(owner.user.email, owner.password, {
      cookie: `keycard_device=${deviceToken}`,
    });
    expect(byCookie.status).toBe(200);
  });

  it('a device is judged by its own failures: three wrong passwords block that device only', async () => {
    const owner = await createUser(testApp);
    const first = (await login(owner.user.email, owner.password)).body.deviceToken as string;
    const second = (await login(owner.user.email, owner.password)).body.deviceToken as string;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await login(owner.user.email, 'wrong', { deviceToken: first })).status).toBe(401);
    }
    const blocked = await login(owner.user.email, owner.password, { deviceToken: first });
    expect(blocked.status).toBe(429);
    const other = await login(owner.user.email, owner.password, { deviceToken: second });
    expect(other.status).toBe(200);
  });

  it.each([
    [
      'issued for another email',
      (email: string) => createDeviceTokens(TEST_SECRET).issue(`x${email}`),
    ],
    [
      'signed with another secret',
      (email: string) => createDeviceTokens('another secret '.repeat(4)).issue(email),
    ],
    ['tampered with', (email: string) => `${createDeviceTokens(TEST_SECRET).issue(email)}x`],
    ['not a token at all', () => 'garbage'],
  ])('a device token %s counts for nothing', async (_label, makeToken) => {
    const owner = await createUser(testApp);
    await attack(owner);
    const response = await login(owner.user.email, owner.password, {
      deviceToken: makeToken(owner.user.email),
    });
    expect(response.status).toBe(429);
  });
});
