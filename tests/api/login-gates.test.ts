import { appsClosedAfterAll, createUser, request, type TestApp } from '../helpers/test-app';

// What the login throttle leaves in MongoDB: one document per key (see core/failure-gate.ts).
interface Gate {
  _id: string;
  failures: number;
  failuresUntil: number;
  blocks: number;
  inFlight: { id: string; until: number }[];
  expireAt: Date;
}

const DAY_MS = 24 * 3600 * 1000;
const appWith = appsClosedAfterAll('login_gates');

const login = (testApp: TestApp, email: string, password: string) =>
  request(testApp.app).post('/api/auth/login').send({ email, password });

function gates(testApp: TestApp) {
  return testApp.connection.collection<Gate>('login_gates');
}

async function gateOf(testApp: TestApp, kind: 'pair' | 'email', email: string): Promise<Gate> {
  const pattern = kind === 'pair' ? `^pair:${email}\\|` : `^email:${email}$`;
  const gate = await gates(testApp).findOne({ _id: { $regex: pattern } });
  if (!gate) throw new Error(`no ${kind} gate for ${email}`);
  return gate;
}

describe('login gates in the database', () => {
  it('a failure is counted for the pair and the email, with nothing left in flight', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '3' });
    const { user } = await createUser(testApp);
    const before = Date.now();
    expect((await login(testApp, user.email, 'wrong password')).status).toBe(401);
    for (const kind of ['pair', 'email'] as const) {
      const gate = await gateOf(testApp, kind, user.email);
      expect(gate).toMatchObject({ failures: 1, blocks: 0, inFlight: [] });
      expect(gate.failuresUntil).toBeGreaterThanOrEqual(before + DAY_MS);
      expect(gate.failuresUntil).toBeLessThanOrEqual(Date.now() + DAY_MS);
      // The TTL index removes the document once what it remembers has run out.
      expect(gate.expireAt.getTime()).toBe(gate.failuresUntil);
    }
  });

  it('a success clears the pair but not the daily count of the email', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '3' });
    const { user, password } = await createUser(testApp);
    expect((await login(testApp, user.email, 'wrong password')).status).toBe(401);
    expect((await login(testApp, user.email, password)).status).toBe(200);
    expect(await gateOf(testApp, 'pair', user.email)).toMatchObject({ failures: 0, inFlight: [] });
    expect(await gateOf(testApp, 'email', user.email)).toMatchObject({
      failures: 1,
      inFlight: [],
    });
  });

  it('the failure that reaches the limit blocks the pair for a minute in the same write', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '2' });
    const { user } = await createUser(testApp);
    await login(testApp, user.email, 'wrong password');
    const before = Date.now();
    await login(testApp, user.email, 'wrong password');
    const gate = await gateOf(testApp, 'pair', user.email);
    expect(gate).toMatchObject({ failures: 2, blocks: 1, inFlight: [] });
    expect(gate.failuresUntil).toBeGreaterThanOrEqual(before + 60_000);
    expect(gate.failuresUntil).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('a check another instance left in flight holds its place until it reports back', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '1' });
    const { user, password } = await createUser(testApp);
    expect((await login(testApp, user.email, password)).status).toBe(200);
    const { _id } = await gateOf(testApp, 'pair', user.email);
    const elsewhere = { id: 'another-instance', until: Date.now() + 60_000 };
    await gates(testApp).updateOne({ _id }, { $push: { inFlight: elsewhere } });

    const started = Date.now();
    // supertest sends on then(): started now, awaited once the place is given back.
    const waiting = login(testApp, user.email, password).then((response) => response);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await gates(testApp).updateOne({ _id }, { $pull: { inFlight: { id: elsewhere.id } } });
    const response = await waiting;
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('a check whose instance died stops holding its place after its time', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '1' });
    const { user, password } = await createUser(testApp);
    expect((await login(testApp, user.email, password)).status).toBe(200);
    const { _id } = await gateOf(testApp, 'pair', user.email);
    const dead = { id: 'crashed-instance', until: Date.now() - 1 };
    await gates(testApp).updateOne({ _id }, { $push: { inFlight: dead } });

    const started = Date.now();
    expect((await login(testApp, user.email, password)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await gateOf(testApp, 'pair', user.email)).inFlight).toEqual([]);
  });
});
