import 'dotenv/config';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { emailSchema, nameSchema, passwordSchema } from '../auth/credential-schemas';
import { createPasswordHasher } from '../auth/password-hasher';
import { connectDatabase } from '../db/connect';
import { createSessionModel } from '../models/session';
import { createUserModel } from '../models/user';
import { upsertAdmin } from '../users/ensure-admin';
import { wholeNumberText } from '../validation';

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
  const mongoUri = process.env.MONGO_URI;
  if (!mongoUri) {
    console.error('MONGO_URI is not set: create-admin writes to the database it names.');
    return 1;
  }
  const password = process.env.ADMIN_PASSWORD ?? (await promptHidden('Password: '));
  const seed = z
    .object({ email: emailSchema, name: nameSchema, password: passwordSchema })
    .safeParse({ email: values.email, name: values.name ?? 'Administrator', password });
  if (!seed.success) {
    for (const issue of seed.error.issues)
      console.error(`${issue.path.join('.')}: ${issue.message}`);
    console.error(USAGE);
    return 1;
  }

  const cost = wholeNumberText(4, 31).safeParse(process.env.BCRYPT_COST || '12');
  if (!cost.success) {
    console.error('BCRYPT_COST: must be a whole number from 4 to 31');
    return 1;
  }
  const hasher = createPasswordHasher({ cost: cost.data, workers: 1 });
  const connection = await connectDatabase(mongoUri);
  try {
    const users = createUserModel(connection, hasher);
    const sessions = createSessionModel(connection);
    await users.init();
    await users.createIndexes();
    const outcome = await upsertAdmin({ users, sessions }, seed.data);
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
