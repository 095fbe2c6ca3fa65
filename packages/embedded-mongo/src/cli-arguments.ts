import { parseArgs } from 'node:util';
import { parseEmbeddedMongoMode, type EmbeddedMongoMode } from './launcher';

export const usage = `Usage: keycard-embedded-mongo [--mode auto|mongod|wire] [--port <n>] [--dbpath <dir>] [--auth]

Starts a MongoDB on 127.0.0.1, prints its mongodb:// URI on stdout and runs until Ctrl+C or
SIGTERM. Everything else it says goes to stderr. Data lives in memory unless --dbpath is given.

  --mode auto    a real mongod through mongodb-memory-server when one can be had, otherwise
                 the in-process wire server (the default)
  --mode mongod  a real mongod, or fail
  --mode wire    the in-process wire server
  --port <n>     listen on port n (default: a free port)
  --dbpath <dir> keep the data in this directory (created if missing) across restarts;
                 only one process at a time may use it
  --auth         demand a login: random credentials for this run, which appear only in the
                 printed URI (with a mongod and --dbpath, kept in the directory for the next run)
  --help         print this text
`;

export type CliArguments =
  | { help: true }
  | {
      help: false;
      mode: EmbeddedMongoMode;
      port: number | undefined;
      dbPath: string | undefined;
      auth: boolean;
    };

export class CliUsageError extends Error {}

const flags = {
  mode: { type: 'string' },
  port: { type: 'string' },
  dbpath: { type: 'string' },
  auth: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function asUsageError(error: unknown): CliUsageError {
  return new CliUsageError(error instanceof Error ? error.message : String(error));
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) {
    throw new CliUsageError(`--port must be a whole number from 0 to 65535; got "${text}"`);
  }
  return Number(text);
}

/** Reads the command line (without node and the script); throws CliUsageError on a bad one. */
export function parseCliArguments(args: readonly string[]): CliArguments {
  let values;
  try {
    // parseArgs explains unknown options, missing values and stray arguments well enough.
    values = parseArgs({ args: [...args], options: flags, strict: true }).values;
  } catch (error) {
    throw asUsageError(error);
  }
  if (values.help) return { help: true };
  let mode: EmbeddedMongoMode;
  try {
    mode = parseEmbeddedMongoMode(values.mode, '--mode');
  } catch (error) {
    throw asUsageError(error);
  }
  if (values.dbpath !== undefined && values.dbpath.trim() === '') {
    throw new CliUsageError('--dbpath must name a directory');
  }
  return {
    help: false,
    mode,
    port: parsePort(values.port),
    dbPath: values.dbpath,
    auth: values.auth === true,
  };
}
