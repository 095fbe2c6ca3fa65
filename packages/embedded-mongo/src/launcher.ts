import net from 'node:net';
import { DryMongoBinary, MongoMemoryServer } from 'mongodb-memory-server';
import { startWireServer } from './wire-server';

export type EmbeddedMongoMode = 'auto' | 'mongod' | 'wire';

export interface EmbeddedMongo {
  uri: string;
  kind: 'mongod' | 'wire';
  stop(): Promise<void>;
}

export interface EmbeddedMongoOptions {
  /** Defaults to EMBEDDED_MONGO, then 'auto'. */
  mode?: EmbeddedMongoMode;
  /** May mongodb-memory-server download a mongod? Default true; offline it gives up in seconds. */
  allowDownload?: boolean;
  log?: (message: string) => void;
}

const modes: readonly EmbeddedMongoMode[] = ['auto', 'mongod', 'wire'];
const downloadProbeTimeoutMs = 3_000;
const defaultDownloadHost = 'https://fastdl.mongodb.org';

export function parseEmbeddedMongoMode(value: string | undefined): EmbeddedMongoMode {
  if (value === undefined || value === '') return 'auto';
  const mode = modes.find((candidate) => candidate === value);
  if (!mode) {
    throw new Error(`EMBEDDED_MONGO must be one of ${modes.join(', ')}; got "${value}"`);
  }
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

async function startMongod(): Promise<EmbeddedMongo> {
  const server = await MongoMemoryServer.create({ instance: { ip: '127.0.0.1' } });
  return {
    uri: server.getUri(),
    kind: 'mongod',
    async stop() {
      await server.stop();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function startWire(): Promise<EmbeddedMongo> {
  const server = await startWireServer({ host: '127.0.0.1' });
  return { uri: server.uri, kind: 'wire', stop: () => server.stop() };
}

/**
 * Starts a throwaway MongoDB: a real mongod through mongodb-memory-server when a binary is at
 * hand (MONGOMS_SYSTEM_BINARY, its cache, or a download that is reachable), otherwise the
 * in-process wire-protocol server. Data lives in memory and is gone after stop().
 */
export async function startEmbeddedMongo(
  options: EmbeddedMongoOptions = {},
): Promise<EmbeddedMongo> {
  const mode = options.mode ?? parseEmbeddedMongoMode(process.env.EMBEDDED_MONGO);
  if (!modes.includes(mode)) {
    throw new Error(
      `embedded MongoDB mode must be one of ${modes.join(', ')}; got "${String(mode)}"`,
    );
  }
  const log = options.log ?? ((message: string) => console.warn(message));
  const allowDownload =
    (options.allowDownload ?? true) && process.env.MONGOMS_RUNTIME_DOWNLOAD !== 'false';

  if (mode === 'wire') {
    const mongo = await startWire();
    log(`embedded MongoDB: in-process wire server at ${mongo.uri} (mode 'wire' requested)`);
    return mongo;
  }

  const binary = await locateMongod();
  let reason: string;
  if (binary) {
    try {
      const mongo = await startMongod();
      log(`embedded MongoDB: mongod from mongodb-memory-server at ${mongo.uri} (binary ${binary})`);
      return mongo;
    } catch (error) {
      reason = `mongod at ${binary} failed to start: ${describe(error)}`;
    }
  } else if (!allowDownload) {
    reason = 'no mongod binary found and downloading is disabled';
  } else if (!(await canReachDownloadHost())) {
    reason = `no mongod binary found and ${new URL(downloadHost()).hostname} is unreachable`;
  } else {
    try {
      const mongo = await startMongod();
      log(`embedded MongoDB: mongod from mongodb-memory-server at ${mongo.uri} (downloaded)`);
      return mongo;
    } catch (error) {
      reason = `mongod download or start failed: ${describe(error)}`;
    }
  }
  if (mode === 'mongod') {
    throw new Error(
      `embedded MongoDB mode 'mongod' was requested but no mongod is available: ${reason}. Set MONGOMS_SYSTEM_BINARY to a mongod binary, or use EMBEDDED_MONGO=auto or wire.`,
    );
  }
  const mongo = await startWire();
  log(`embedded MongoDB: in-process wire server at ${mongo.uri} (${reason})`);
  return mongo;
}
