import {
  Long,
  MongoClient,
  type ObjectId,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type MongoClientOptions,
} from 'mongodb';

/**
 * A document of any shape whose _id the test chooses. The driver's default `Document` types _id as
 * an ObjectId, which would forbid the readable string and number ids these tests use.
 */
export interface TestDocument {
  _id?: string | number | ObjectId;
  [field: string]: unknown;
}

/**
 * A driver client for one conformance file. Short timeouts so that a server that stops answering
 * fails the test quickly instead of hanging until Jest's timeout.
 */
export async function connectClient(
  uri: string,
  options: MongoClientOptions = {},
): Promise<MongoClient> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    ...options,
  });
  await client.connect();
  return client;
}

export { serverError as captureServerError } from '../helpers/server-error';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * mongod's duplicate key message, e.g.
 * `E11000 duplicate key error collection: db.users index: email_1 dup key: { email: "a@b.c" }`.
 * `dupKey` is the text between the braces, written the way mongod prints it.
 */
export function duplicateKeyMessage(namespace: string, indexName: string, dupKey: string): RegExp {
  return new RegExp(
    `^E11000 duplicate key error collection: ${escapeRegExp(namespace)} ` +
      `index: ${escapeRegExp(indexName)} dup key: \\{ ${escapeRegExp(dupKey)} \\}$`,
  );
}

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface CommandLog {
  started: CommandStartedEvent[];
  succeeded: CommandSucceededEvent[];
  /** Started commands with this name, e.g. `'getMore'`. */
  named(commandName: string): CommandStartedEvent[];
  /** Replies to the commands with this name. */
  repliesTo(commandName: string): CommandSucceededEvent[];
  clear(): void;
}

/** Records the commands a client created with `monitorCommands: true` sends and their replies. */
export function recordCommands(client: MongoClient): CommandLog {
  const log: CommandLog = {
    started: [],
    succeeded: [],
    named: (commandName) => log.started.filter((event) => event.commandName === commandName),
    repliesTo: (commandName) => log.succeeded.filter((event) => event.commandName === commandName),
    clear: () => {
      log.started.length = 0;
      log.succeeded.length = 0;
    },
  };
  client.on('commandStarted', (event) => log.started.push(event));
  client.on('commandSucceeded', (event) => log.succeeded.push(event));
  return log;
}

/** A cursor id or count as a bigint, whether the driver handed it over as a number or a Long. */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (Long.isLong(value)) return value.toBigInt();
  throw new Error(`not an integer: ${String(value)}`);
}

/** The element at `index`, failing loudly instead of handing back undefined. */
export function at<T>(list: readonly T[], index: number): T {
  const element = list[index];
  if (element === undefined) throw new Error(`no element at index ${index}`);
  return element;
}
