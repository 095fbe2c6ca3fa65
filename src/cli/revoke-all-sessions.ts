import 'dotenv/config';
import { parseArgs } from 'node:util';
import { ConfigError, loadCommandConfig } from '../config/load-config';
import { connectDatabase } from '../db/connect';
import { createRevocations } from '../core/revocations';
import { createAuthEventLogModel } from '../models/auth-events';
import { createSessionModel } from '../models/session';

const USAGE =
  'Usage: npm run revoke-all-sessions -- --yes\n' +
  'Ends every session of every user in MONGO_URI: every refresh token stops working at once,\n' +
  'and every access token at its next request. Run it after a secret or database leak.';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { yes: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help || !values.yes) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  let config;
  try {
    config = loadCommandConfig(process.env, 'revoke-all-sessions');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
  const connection = await connectDatabase(config.mongoUri, {
    timeoutMs: config.mongoConnectTimeoutSeconds * 1000,
  });
  try {
    const now = new Date();
    // The credentials version moves on too, so a login that is checking a password right now
    // cannot open a session that outlives this command.
    await connection.collection('users').updateMany({}, { $inc: { credentialsVersion: 1 } });
    const sessions = createSessionModel(connection);
    const result = await sessions.updateMany({ revokedAt: null }, { $set: { revokedAt: now } });
    await createRevocations(createAuthEventLogModel(connection)).everythingChanged();
    console.log(`Revoked ${result.modifiedCount} active session(s).`);
    return 0;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('revoke-all-sessions failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
