#!/usr/bin/env node
import { CliUsageError, parseCliArguments, usage } from './cli-arguments';
import { startEmbeddedMongo } from './launcher';

// Prints only the URI on stdout so `export MONGO_URI=$(npm run -s embedded-mongo)`-style use
// works; everything else goes to stderr. With --auth the URI is the only place the credentials
// appear.
async function main(): Promise<void> {
  const options = parseCliArguments(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(usage);
    return;
  }
  const mongo = await startEmbeddedMongo({
    mode: options.mode,
    port: options.port,
    dbPath: options.dbPath,
    auth: options.auth,
    log: (message) => console.error(message),
  });
  process.stdout.write(`${mongo.uri}\n`);
  console.error(
    mongo.dbPath === undefined
      ? 'Data lives in memory and is lost on exit. Press Ctrl+C to stop.'
      : `Data lives in ${mongo.dbPath} and survives a restart. Press Ctrl+C to stop.`,
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal} received, stopping the embedded MongoDB`);
    mongo.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  if (error instanceof CliUsageError) {
    console.error('Run with --help for the options.');
    process.exit(2);
  }
  process.exit(1);
});
