import type { mongo } from 'mongoose';
import { createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

// The collections only background work reads and writes (the revocation feed's poll, the mail
// sender): whatever they see during a login is not the login's.
const BACKGROUND = new Set(['auth_events', 'mail_outbox']);

let testApp: TestApp;
beforeAll(async () => {
  testApp = await createTestApp('login_commands', {}, { monitorCommands: true });
});
afterAll(() => testApp.close());

/** Every command the app's driver sends while `work` runs, as "<command> <collection>". */
async function commandsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const record = (event: mongo.CommandStartedEvent) => {
    const collection = String(event.command[event.commandName]);
    if (BACKGROUND.has(collection)) return;
    const statements = (event.command.updates as unknown[] | undefined)?.length;
    seen.push(`${event.commandName} ${collection}${statements ? ` x${statements}` : ''}`);
  };
  const client = testApp.connection.getClient();
  client.on('commandStarted', record);
  try {
    await work();
  } finally {
    client.off('commandStarted', record);
  }
  return seen.sort();
}

/** The commands of one login by `email` with `password`, which must answer `status`. */
function commandsOfLogin(email: string, password: string, status: number): Promise<string[]> {
  return commandsDuring(async () => {
    const response = await request(testApp.app).post('/api/auth/login').send({ email, password });
    expect(response.status).toBe(status);
  });
}

describe('the database commands of a login', () => {
  it('are the seven the README lists: the outcomes of both gates go back in one command', async () => {
    const owner = await createUser(testApp);
    expect(await commandsOfLogin(owner.user.email, owner.password, 200)).toEqual([
      'find users',
      'find users',
      'findAndModify login_gates',
      'findAndModify login_gates',
      'findAndModify rate_limits',
      'insert sessions',
      'update login_gates x2',
    ]);
  });

  it('count a wrong password in each gate with one command of its own', async () => {
    const owner = await createUser(testApp);
    expect(await commandsOfLogin(owner.user.email, 'not the password', 401)).toEqual([
      'find users',
      'findAndModify login_gates',
      'findAndModify login_gates',
      'findAndModify login_gates',
      'findAndModify login_gates',
      'findAndModify rate_limits',
    ]);
  });
});
