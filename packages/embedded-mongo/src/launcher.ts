import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DryMongoBinary, MongoMemoryServer } from 'mongodb-memory-server';
import { startWireServer } from './wire-server';
import { connectionUri, type AuthOption } from './wire-server/auth/credentials';
import { mongodLogin, rememberMongodLogin } from './mongod-login';
import { journalFileName } from './wire-server/persistence/data-directory';
import { snapshotFileName } from './wire-server/persistence/snapshot';

export type EmbeddedMongoMode = 'auto' | 'mongod' | 'wire';

export interface EmbeddedMongo {
  /** The mongodb:// URI, credentials included when `auth` was asked for: never log it. */
  uri: string;
  /** 127.0.0.1:<port>, without credentials: what to show in logs. */
  address: string;
  kind: 'mongod' | 'wire';
  /** The absolute path of the data directory; undefined when the data lives in memory. */
  dbPath?: string;
  stop(): Promise<void>;
}

export interface EmbeddedMongoOptions {
  /** 'auto' (the default) prefers a real mongod and falls back to the wire server. */
  mode?: EmbeddedMongoMode;
  /** The port to listen on, on 127.0.0.1; a free one when unset. */
  port?: number;
  /** May mongodb-memory-server download a mongod? Default true; offline it gives up in seconds. */
  allowDownload?: boolean;
  /**
   * A directory that keeps the data across restarts (created if missing), like mongod's
   * --dbpath; a mongod gets it as its own dbpath. Unset: the data lives in memory.
   */
  dbPath?: string;
  /**
   * Demand a login, on mongod and the wire server alike: `true` makes random credentials for
   * this run, which appear only in the returned `uri`; `{ username, password }` demands those.
   * Default: none, and anyone who can reach 127.0.0.1 can read and write everything.
   */
  auth?: AuthOption;
  /** Told once which server started, where (host:port, never the credentials) and why. */
  log?: (message: string) => void;
}

const modes: readonly EmbeddedMongoMode[] = ['auto', 'mongod', 'wire'];
const downloadProbeTimeoutMs = 3_000;
const defaultDownloadHost = 'https://fastdl.mongodb.org';

/**
 * Reads a mode from text (an environment variable, a command-line flag); empty means 'auto'.
 * `name` is what the error message calls the setting, so it can name the caller's variable.
 */
export function parseEmbeddedMongoMode(
  value: string | undefined,
  name = 'embedded MongoDB mode',
): EmbeddedMongoMode {
  if (value === undefined || value === '') return 'auto';
  const mode = modes.find((candidate) => candidate === value);
  if (!mode) throw new Error(`${name} must be one of ${modes.join(', ')}; got "${value}"`);
  return mode;
}

/** Where mongodb-memory-server would look for or fetch a mongod; undefined when it cannot. */
async function locateMongod(): Promise<string | undefined> {
  try {
    return await DryMongoBinary.locateBinary(await DryMongoBinary.generateOptions());
  } catch {
    return undefined;
  }
}

// These are mongodb-memory-server's own settings: the probe must ask the host it would use.
function downloadHost(): string {
  const url = process.env.MONGOMS_DOWNLOAD_URL ?? process.env.MONGOMS_DOWNLOAD_MIRROR;
  return url && url.length > 0 ? url : defaultDownloadHost;
}

/**
 * A bounded TCP connect to the download host. mongodb-memory-server itself would wait on DNS and
 * retries for minutes when offline; this answers "can we download?" in at most 3 seconds.
 */
async function canReachDownloadHost(): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(downloadHost());
  } catch {
    return false;
  }
  const port = Number(url.port) || (url.protocol === 'http:' ? 80 : 443);
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: url.hostname, port });
    const finish = (reachable: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reachable);
    };
    const timer = setTimeout(() => finish(false), downloadProbeTimeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** mongodb-memory-server's instance options (its package exports the class, not this type). */
type MongodInstanceOptions = NonNullable<
  NonNullable<Parameters<typeof MongoMemoryServer.create>[0]>['instance']
>;

interface Placement {
  port: number | undefined;
  /** Absolute, or undefined for memory. */
  dbPath: string | undefined;
  /** What `auth` asked for; each kind turns it into credentials of its own (see startMongod). */
  auth: AuthOption;
  log: (message: string) => void;
}

/**
 * What mongodb-memory-server is told. With a dbPath, mongod keeps its files there (mongodb-memory-
 * server removes only the temporary directories it creates itself) on WiredTiger: the default
 * for mongod before 7.0 there would be ephemeralForTest, which keeps nothing.
 */
export function mongodInstanceOptions(
  placement: Pick<Placement, 'port' | 'dbPath'>,
): MongodInstanceOptions {
  const instance: MongodInstanceOptions = { ip: '127.0.0.1', port: placement.port };
  if (placement.dbPath !== undefined) {
    instance.dbPath = placement.dbPath;
    instance.storageEngine = 'wiredTiger';
  }
  return instance;
}

/** The two kinds keep different files: say so when a directory holds the other kind's data. */
function noteOtherKindsData(placement: Placement, kind: 'mongod' | 'wire'): void {
  const { dbPath } = placement;
  if (dbPath === undefined) return;
  const otherFiles = kind === 'wire' ? ['WiredTiger'] : [journalFileName, snapshotFileName];
  if (!otherFiles.some((file) => fs.existsSync(path.join(dbPath, file)))) return;
  const other = kind === 'wire' ? 'a mongod' : 'the wire server';
  placement.log(
    `embedded MongoDB: ${dbPath} also holds data written by ${other}, which this ${kind === 'wire' ? 'wire server' : 'mongod'} cannot read; each kind sees only its own`,
  );
}

async function startMongod(placement: Placement): Promise<EmbeddedMongo> {
  if (placement.dbPath !== undefined) fs.mkdirSync(placement.dbPath, { recursive: true });
  const login = mongodLogin(placement.dbPath, placement.auth);
  // mongodb-memory-server starts mongod with --auth and creates this user as root (through
  // mongod's localhost exception, before it returns).
  const server = await MongoMemoryServer.create({
    instance: mongodInstanceOptions(placement),
    ...(login && {
      auth: {
        enable: true,
        customRootName: login.credentials.username,
        customRootPwd: login.credentials.password,
        force: login.createUser,
      },
    }),
  });
  if (login?.remember && placement.dbPath !== undefined) {
    rememberMongodLogin(placement.dbPath, login.credentials);
  }
  noteOtherKindsData(placement, 'mongod');
  const port = Number(new URL(server.getUri()).port);
  return {
    uri: connectionUri('127.0.0.1', port, login?.credentials),
    address: `127.0.0.1:${port}`,
    kind: 'mongod',
    dbPath: placement.dbPath,
    async stop() {
      await server.stop();
    },
  };
}

async function startWire(placement: Placement): Promise<EmbeddedMongo> {
  // Credentials are made per run and never reach the journal or a snapshot: only data does.
  const server = await startWireServer({
    host: '127.0.0.1',
    port: placement.port,
    dbPath: placement.dbPath,
    auth: placement.auth,
    log: (message) => placement.log(`embedded MongoDB: ${message}`),
  });
  noteOtherKindsData(placement, 'wire');
  return {
    uri: server.uri,
    address: server.address,
    kind: 'wire',
    dbPath: placement.dbPath,
    stop: () => server.stop(),
  };
}

/** "data in /path" or "data in memory", for the line that says which server ran. */
function whereDataLives(mongo: EmbeddedMongo): string {
  return mongo.dbPath === undefined ? 'data in memory' : `data in ${mongo.dbPath}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type MongodAttempt = { mongo: EmbeddedMongo; source: string } | { reason: string };

/**
 * A real mongod when a binary is at hand (MONGOMS_SYSTEM_BINARY, mongodb-memory-server's cache,
 * or a download that is reachable); otherwise the reason there is none.
 */
async function tryMongod(placement: Placement, allowDownload: boolean): Promise<MongodAttempt> {
  const binary = await locateMongod();
  if (binary) {
    try {
      return { mongo: await startMongod(placement), source: `binary ${binary}` };
    } catch (error) {
      return { reason: `mongod at ${binary} failed to start: ${describe(error)}` };
    }
  }
  if (!allowDownload) return { reason: 'no mongod binary found and downloading is disabled' };
  if (!(await canReachDownloadHost())) {
    return {
      reason: `no mongod binary found and ${new URL(downloadHost()).hostname} is unreachable`,
    };
  }
  try {
    return { mongo: await startMongod(placement), source: 'downloaded' };
  } catch (error) {
    return { reason: `mongod download or start failed: ${describe(error)}` };
  }
}

/**
 * Starts a MongoDB on 127.0.0.1: in mode 'auto' a real mongod through mongodb-memory-server when
 * one can be had, otherwise the in-process wire-protocol server. Data lives in memory and is gone
 * after stop(), or, with a dbPath, in that directory. Logs which server ran, and why.
 */
export async function startEmbeddedMongo(
  options: EmbeddedMongoOptions = {},
): Promise<EmbeddedMongo> {
  const mode = options.mode ?? 'auto';
  // Checked at run time too: a JavaScript caller can pass anything.
  if (!modes.includes(mode)) {
    throw new Error(
      `embedded MongoDB mode must be one of ${modes.join(', ')}; got "${String(mode)}"`,
    );
  }
  const log = options.log ?? ((message: string) => console.warn(message));
  const placement: Placement = {
    port: options.port,
    dbPath: options.dbPath === undefined ? undefined : path.resolve(options.dbPath),
    auth: options.auth,
    log,
  };
  const login = options.auth === undefined || options.auth === false ? '' : ', login required';

  if (mode === 'wire') {
    const mongo = await startWire(placement);
    log(
      `embedded MongoDB: in-process wire server at ${mongo.address}, ${whereDataLives(mongo)} (mode 'wire' requested${login})`,
    );
    return mongo;
  }

  const allowDownload =
    (options.allowDownload ?? true) && process.env.MONGOMS_RUNTIME_DOWNLOAD !== 'false';
  const attempt = await tryMongod(placement, allowDownload);
  if ('mongo' in attempt) {
    log(
      `embedded MongoDB: mongod from mongodb-memory-server at ${attempt.mongo.address}, ${whereDataLives(attempt.mongo)} (${attempt.source}${login})`,
    );
    return attempt.mongo;
  }
  if (mode === 'mongod') {
    throw new Error(
      `embedded MongoDB mode 'mongod' was requested but no mongod is available: ${attempt.reason}. Set MONGOMS_SYSTEM_BINARY to a mongod binary, or choose mode 'auto' or 'wire'.`,
    );
  }
  const mongo = await startWire(placement);
  log(
    `embedded MongoDB: in-process wire server at ${mongo.address}, ${whereDataLives(mongo)} (${attempt.reason}${login})`,
  );
  return mongo;
}
