import 'dotenv/config';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { adminSeedSchema, ConfigError, loadCommandConfig } from '../config/load-config';
import { upsertAdmin } from '../core/ensure-admin';
import { createRevocations } from '../core/revocations';
import { createPasswordHasher } from '../core/password-hasher';
import { connectDatabase } from '../db/connect';
import { createAuthEventLogModel } from '../models/auth-events';
import { createSessionModel } from '../models/session';
import { createUserModel } from '../models/user';

const USAGE =
  'Usage: npm run create-admin -- --email admin@example.com [--name "Ada Admin"]\n' +
  'The password is read from ADMIN_PASSWORD or asked for at a prompt (never from the command line).';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadCommandConfig(process.env, 'create-admin');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
  const password = config.adminPassword ?? (await promptHidden('Password: '));
  const seed = adminSeedSchema.safeParse({
    email: values.email,
    name: values.name ?? 'Administrator',
    password,
  });
  if (!seed.success) {
    for (const issue of seed.error.issues)
      console.error(`${issue.path.join('.')}: ${issue.message}`);
    console.error(USAGE);
    return 1;
  }

  const hasher = createPasswordHasher({ cost: config.bcryptCost, workers: 1 });
  const connection = await connectDatabase(config.mongoUri, {
    timeoutMs: config.mongoConnectTimeoutSeconds * 1000,
  });
  try {
    const users = createUserModel(connection, hasher);
    const sessions = createSessionModel(connection);
    await users.init();
    await users.createIndexes();
    // No cache here: the event still tells every running keycard to drop what it holds.
    const revocations = createRevocations(createAuthEventLogModel(connection));
    const outcome = await upsertAdmin({ users, sessions, revocations }, seed.data);
    console.log(`Admin ${seed.data.email} ${outcome === 'created' ? 'created' : 'promoted'}.`);
    return 0;
  } finally {
    await connection.close();
    await hasher.close();
  }
}

function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    return Promise.reject(new Error('No ADMIN_PASSWORD and no terminal to ask for one'));
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Echo nothing after the question, so the password never shows on screen.
  const output = rl as unknown as { _writeToOutput: (text: string) => void };
  let asked = false;
  output._writeToOutput = (text) => {
    if (!asked) process.stdout.write(text);
  };
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    asked = true;
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('create-admin failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
